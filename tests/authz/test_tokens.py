"""API tokens: shown once, stored hashed, scoped, revoked at once, last use recorded."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from runner_api.auth.principal import Role
from runner_api.cli import app as cli_app
from runner_api.core import Core
from runner_api.errors import InvalidRequestError
from runner_api.types import utcnow
from tests.authz.conftest import ADMIN_TOKEN, by

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_created_token_works_once_shown_and_is_stored_hashed(
    client: TestClient, core: Core
) -> None:
    answer = client.post(
        "/tokens",
        headers=ADMIN,
        json={"name": "rt-webhook", "role": "agent", "customers": ["lab"]},
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    issued = answer.json()
    secret = issued["token"]
    assert secret.startswith("fxl_") and len(secret) >= 40
    listed = client.get("/tokens", headers=ADMIN).json()
    assert [t["id"] for t in listed if not t["bootstrap"]] == [issued["id"]]
    assert "token" not in listed[0] and secret not in str(listed)
    with core.db.session() as session:
        rows = session.execute(text("SELECT * FROM api_tokens")).all()
    assert secret not in repr(rows)
    assert hashlib.sha256(secret.encode()).hexdigest() in repr(rows)
    # The token works for its role: an agent may list actions but not tokens.
    assert client.get("/actions", headers=_bearer(secret)).status_code == 200
    assert client.get("/tokens", headers=_bearer(secret)).status_code == 403
    after = {t["id"]: t for t in client.get("/tokens", headers=ADMIN).json()}
    assert after[issued["id"]]["last_used_at"] is not None


def test_revocation_is_immediate(client: TestClient, core: Core) -> None:
    issued = core.tokens.create(
        name="monitoring",
        role=Role.AGENT,
        customers=["lab"],
        actions=None,
        created_by=by("t"),
    )
    assert client.get("/runs", headers=_bearer(issued.secret)).status_code == 200
    answer = client.post(f"/tokens/{issued.record.id}/revoke", headers=ADMIN)
    assert answer.status_code == 200 and answer.json()["revoked_by"] == "token:bootstrap"
    denied = client.get("/runs", headers=_bearer(issued.secret))
    assert denied.status_code == 401 and denied.headers["www-authenticate"] == "Bearer"


def test_expired_and_unknown_tokens_get_401(client: TestClient, core: Core) -> None:
    issued = core.tokens.create(
        name="short",
        role=Role.AGENT,
        customers=["lab"],
        actions=None,
        created_by=by("t"),
        expires_at=utcnow() + timedelta(seconds=30),
    )
    with core.db.session() as session:
        session.execute(
            text("UPDATE api_tokens SET expires_at = :t WHERE id = :id"),
            {"t": utcnow() - timedelta(seconds=1), "id": issued.record.id},
        )
    assert client.get("/runs", headers=_bearer(issued.secret)).status_code == 401
    forged = issued.secret[:-2] + ("AA" if not issued.secret.endswith("AA") else "BB")
    assert client.get("/runs", headers=_bearer(forged)).status_code == 401
    assert client.get("/runs", headers=_bearer("not-a-token")).status_code == 401


def test_action_and_customer_scope(client: TestClient, core: Core) -> None:
    issued = core.tokens.create(
        name="unlock-only",
        role=Role.AGENT,
        customers=["lab"],
        actions=["account_unlock"],
        created_by=by("t"),
    )
    headers = _bearer(issued.secret)
    names = [a["name"] for a in client.get("/actions", headers=headers).json()]
    assert names == ["account_unlock"]
    body = {"customer": "lab", "ticket_id": "INC-1", "action": "smoke_check", "params": {}}
    refused = client.post("/runs", headers=headers, json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    other = client.post(
        "/runs", headers=headers, json=body | {"customer": "contoso", "action": "account_unlock"}
    )
    assert other.status_code == 404


def test_scope_rules_on_creation(core: Core, client: TestClient) -> None:
    with pytest.raises(InvalidRequestError):
        core.tokens.create(
            name="x",
            role=Role.AGENT,
            customers=None,
            actions=None,
            created_by=by("t"),
        )
    with pytest.raises(InvalidRequestError):
        core.tokens.create(
            name="x",
            role=Role.AGENT,
            customers=[],
            actions=None,
            created_by=by("t"),
        )
    answer = client.post(
        "/tokens", headers=ADMIN, json={"name": "x", "role": "agent", "customers": ["nobody"]}
    )
    assert answer.status_code == 404
    extra = client.post("/tokens", headers=ADMIN, json={"name": "x", "token": "chosen"})
    assert extra.status_code == 422


def test_token_events_are_audited(client: TestClient, core: Core) -> None:
    issued = core.tokens.create(
        name="audited",
        role=Role.AUDITOR,
        customers=None,
        actions=None,
        created_by=by("t"),
    )
    core.tokens.revoke(issued.record.id, by("t"))
    client.get("/tokens", headers=_bearer("fxl_nope_nope"))
    client.get("/tokens", headers=_bearer(issued.secret))
    with core.db.session() as session:
        types = [
            row[0] for row in session.execute(text("SELECT type FROM audit_records ORDER BY seq"))
        ]
    # The bootstrap token's creation, then this token's life.
    assert types[:3] == ["token_created", "token_created", "token_revoked"]
    assert types.count("auth.failed") == 2


def test_cli_create_list_revoke(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "FIXLINE_DATA_DIR": str(core.settings.data_dir),
        "FIXLINE_PROJECT_DIR": str(core.settings.project_dir),
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    created = runner.invoke(
        cli_app, ["tokens", "create", "--name", "nagios", "--customer", "lab", "-a", "smoke_check"]
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("fxl_")
    listed = runner.invoke(cli_app, ["tokens", "list"])
    assert "nagios" in listed.stdout and secret not in listed.stdout
    token_id = secret.split("_")[1]
    revoked = runner.invoke(cli_app, ["tokens", "revoke", token_id])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert "revoked" in runner.invoke(cli_app, ["tokens", "list"]).stdout
    bad = runner.invoke(cli_app, ["tokens", "create", "--name", "x", "--customer", "nobody"])
    assert bad.exit_code == 2
