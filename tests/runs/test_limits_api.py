"""The rate limits over HTTP, without the lab: a 429 in the error shape with who and when,
and POST /limits/clear for admins (the limit answers before anything would run)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from runner_api.app import create_app
from runner_api.auth.principal import Role
from runner_api.core import Core
from tests.authz.conftest import by, lab_free_settings
from tests.runs.factories import make_run

ADMIN = "limits-bootstrap-0123456789abcdef"
BODY = {
    "customer": "lab",
    "ticket_id": "INC-1",
    "action": "smoke_check",
    "params": {"host": "lab-host"},
}


@pytest.fixture
def core(tmp_path: Path) -> Core:
    return Core(
        lab_free_settings(
            tmp_path,
            bootstrap_token=ADMIN,
            rate_limit_target_per_hour=3,
            rate_limit_target_requester_per_hour=2,
        )
    )


@pytest.fixture
def client(core: Core) -> Iterator[TestClient]:
    with TestClient(create_app(core.settings, core), base_url="https://testserver") as client:
        yield client


def _bearer(core: Core, name: str, role: Role, customers: list[str] | None) -> dict[str, str]:
    issued = core.tokens.create(
        name=name, role=role, customers=customers, actions=None, created_by=by("test")
    )
    return {"Authorization": f"Bearer {issued.secret}"}


def _runs_of(core: Core, headers: dict[str, str], count: int) -> str:
    """Runs on the lab host requested by the caller of these headers; its principal id."""
    caller = core.tokens.principal(headers["Authorization"].removeprefix("Bearer "))
    for n in range(count):
        run = make_run(n, customer="lab", target="lab-host", requested_by=caller.name)
        run.requester_id = caller.id
        core.store.insert(run)
    return caller.id


def test_a_429_names_the_limit_its_users_and_when_it_frees(client: TestClient, core: Core) -> None:
    agent = _bearer(core, "ann", Role.AGENT, ["lab"])
    ann = _runs_of(core, agent, 2)

    hit = client.post("/runs", json=BODY, headers=agent)

    assert hit.status_code == 429, hit.text
    error = hit.json()["error"]
    assert error["code"] == "rate_limited"
    details = error["details"]
    assert details["limit"] == "target_requester"
    assert details["scope"] == {"customer": "lab", "target": "lab-host", "requester": ann}
    assert details["used_by"] == [{"requested_by": "token:ann", "requester_id": ann, "runs": 2}]
    retry = int(hit.headers["retry-after"])
    assert retry == details["retry_after_s"] and 3500 <= retry <= 3600
    assert datetime.fromisoformat(details["frees_at"]).tzinfo is not None
    # A preview is never held back.
    preview = client.post("/runs", json=BODY | {"check_mode": True}, headers=agent)
    assert preview.status_code == 202, preview.text


def test_an_admin_clears_a_limit_and_the_next_run_passes(client: TestClient, core: Core) -> None:
    agent = _bearer(core, "ann", Role.AGENT, ["lab"])
    _runs_of(core, agent, 2)
    scope = {"limit": "target", "customer": "lab", "target": "lab-host", "reason": "demo"}

    assert client.post("/limits/clear", json=scope, headers=agent).status_code == 403
    cleared = client.post("/limits/clear", json=scope, headers={"Authorization": f"Bearer {ADMIN}"})

    assert cleared.status_code == 201, cleared.text
    body = cleared.json()
    assert body["limit"] == "target" and body["cleared_by"] == "token:bootstrap"
    assert body["reason"] == "demo"
    assert (
        client.post("/runs", json=BODY | {"ticket_id": "INC-2"}, headers=agent).status_code == 202
    )


@pytest.mark.parametrize(
    ("scope", "status"),
    [
        ({"limit": "target", "customer": "lab"}, 422),
        ({"limit": "requester", "requester": "x", "action": "smoke_check"}, 422),
        ({"limit": "target", "customer": "nowhere", "target": "h"}, 404),
    ],
)
def test_a_clear_with_a_wrong_scope_changes_nothing(
    client: TestClient, core: Core, scope: dict[str, str], status: int
) -> None:
    answer = client.post("/limits/clear", json=scope, headers={"Authorization": f"Bearer {ADMIN}"})
    assert answer.status_code == status, answer.text


def test_a_customer_scoped_admin_clears_only_its_customers_targets(
    client: TestClient, core: Core
) -> None:
    scoped = _bearer(core, "lab-admin", Role.ADMIN, ["lab"])
    foreign = {"limit": "target", "customer": "contoso", "target": "h"}
    assert client.post("/limits/clear", json=foreign, headers=scoped).status_code == 404
    wide = {"limit": "requester", "requester": "token:ann"}
    assert client.post("/limits/clear", json=wide, headers=scoped).status_code == 403
    own = {"limit": "target", "customer": "lab", "target": "lab-host"}
    assert client.post("/limits/clear", json=own, headers=scoped).status_code == 201
