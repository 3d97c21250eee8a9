"""Cross-customer denials answer 404 as if the object did not exist, and are audited, at
most a bounded number per caller a minute; a login form posted from another site is
refused (403) and audited. Without the lab: all of it is decided before any outside
system is asked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from runner_api.app import create_app
from runner_api.auth.principal import Role
from runner_api.core import Core
from tests.authz.conftest import ADMIN_TOKEN, by, lab_free_settings
from tests.runs.factories import make_run


def _denials(core: Core, kind: str = "auth.denied") -> list[dict[str, Any]]:
    with core.db.session() as session:
        rows = session.execute(
            text("SELECT actor, data FROM audit_records WHERE type = :t ORDER BY seq"),
            {"t": kind},
        ).all()
    return [{"actor": row.actor, **json.loads(row.data)} for row in rows]


def _bearer(core: Core, name: str, role: Role, customers: list[str] | None) -> dict[str, str]:
    issued = core.tokens.create(
        name=name, role=role, customers=customers, actions=None, created_by=by("test")
    )
    return {"Authorization": f"Bearer {issued.secret}"}


def test_another_customers_run_is_missing_and_the_denial_audited(
    client: TestClient, core: Core
) -> None:
    foreign = core.store.insert(make_run(1, customer="contoso", requested_by="token:erin"))
    agent = _bearer(core, "ann", Role.AGENT, ["lab"])

    answer = client.get(f"/runs/{foreign.id}", headers=agent)
    missing = client.get("/runs/00000000-0000-0000-0000-000000000000", headers=agent)

    assert answer.status_code == missing.status_code == 404
    assert answer.json()["error"]["code"] == missing.json()["error"]["code"]
    [denial] = _denials(core)
    assert denial["actor"] == "token:ann"
    assert denial["reason"] == "customer_scope"
    assert denial["path"] == f"/runs/{foreign.id}"
    # Someone else's reveal, a run for another customer: the same.
    reveal = core.reveals.create(foreign.id, "token:erin", "test:erin", "Temp-Password-1!")
    assert client.post(f"/reveals/{reveal}", headers=agent).status_code == 404
    body = {"customer": "contoso", "ticket_id": "T-1", "action": "account_unlock", "params": {}}
    assert client.post("/runs", json=body, headers=agent).status_code == 404
    reasons = [d["reason"] for d in _denials(core)]
    assert reasons == ["customer_scope", "not_requester", "customer_scope"]


def test_a_scanner_cannot_flood_the_audit_log(tmp_path: Path) -> None:
    settings = lab_free_settings(tmp_path, bootstrap_token=ADMIN_TOKEN, audit_denials_per_minute=5)
    core = Core(settings)
    with TestClient(create_app(settings, core), base_url="https://testserver") as client:
        foreign = core.store.insert(make_run(1, customer="contoso"))
        agent = _bearer(core, "scanner", Role.AGENT, ["lab"])
        other = _bearer(core, "other", Role.AGENT, ["lab"])
        answers = {client.get(f"/runs/{foreign.id}", headers=agent).status_code for _ in range(40)}
        assert client.get(f"/runs/{foreign.id}", headers=other).status_code == 404

    assert answers == {404}
    denials = _denials(core)
    # Five records of the scanner, then one summary; another caller is recorded as before.
    assert [d["actor"] for d in denials] == ["token:scanner"] * 5 + ["token:other"]
    [summary] = _denials(core, "auth.denials_suppressed")
    assert summary["actor"] == "token:scanner"
    assert summary["limit"] == 5


@pytest.fixture
def login_client(tmp_path: Path) -> Iterator[tuple[TestClient, Core]]:
    settings = lab_free_settings(tmp_path)
    core = Core(settings)
    with TestClient(create_app(settings, core), base_url="https://testserver") as client:
        yield client, core


FORM = {"username": "alice.agent", "password": "Fixline-Lab-User-1!"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver"},  # the same host over plain HTTP is another origin
        {"Referer": "https://evil.example/phish.html"},
    ],
)
def test_a_cross_site_login_post_is_refused_and_audited(
    login_client: tuple[TestClient, Core], headers: dict[str, str]
) -> None:
    client, core = login_client

    answer = client.post("/auth/login", data=FORM, headers=headers)

    assert answer.status_code == 403, answer.text
    assert "fixline_session" not in client.cookies
    [denial] = _denials(core)
    assert denial["reason"] == "cross_origin"
    assert denial["path"] == "/auth/login"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://testserver"},
        {"Origin": "https://TESTSERVER:443"},
        {"Referer": "https://testserver/ui/login"},
        {},  # curl and scripts send neither; a browser always sends Origin on a POST
    ],
)
def test_a_same_site_or_non_browser_login_passes_the_origin_check(
    login_client: tuple[TestClient, Core], headers: dict[str, str]
) -> None:
    client, core = login_client

    answer = client.post("/auth/login", data=FORM, headers=headers)

    # Past the check: this server has agent login off, which answers 401.
    assert answer.status_code == 401
    assert "not enabled" in answer.json()["error"]["message"]
    assert _denials(core) == []


def test_configured_origins_replace_the_requests_own(tmp_path: Path) -> None:
    settings = lab_free_settings(tmp_path, public_origins=["https://fixline.example.com"])
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        ok = {"Origin": "https://fixline.example.com"}
        assert client.post("/auth/login", data=FORM, headers=ok).status_code == 401
        inside = {"Origin": "https://testserver"}
        assert client.post("/auth/login", data=FORM, headers=inside).status_code == 403
