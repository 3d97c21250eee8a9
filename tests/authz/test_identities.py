"""Identities that cannot be confused, scopes that cannot be escaped, two persons who are two.

Each test here failed on the code before principals had ids: a token that took another's
name read its reveal, a customer-scoped admin minted an unscoped admin and wrote another
customer's credentials, an admin approved their own request through a token they created,
a token limited to unlocks approved a password reset, and the bootstrap token lived in
clear for ever.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from runner_api.auth.principal import Role
from runner_api.core import Core
from runner_api.runs.status import RunStatus
from runner_api.types import utcnow
from tests.authz.conftest import ADMIN_TOKEN, by
from tests.runs.factories import make_run

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
VERIFIED = {"method": "callback", "note": "called back on the number on record"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _token(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    answer = client.post("/tokens", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def test_token_names_are_unique_among_live_tokens(client: TestClient) -> None:
    first = _token(client, ADMIN, name="rt", role="agent", customers=["lab"])
    again = client.post(
        "/tokens", headers=ADMIN, json={"name": "rt", "role": "agent", "customers": ["contoso"]}
    )
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "token_name_taken"
    # Once revoked, the name is free again.
    assert client.post(f"/tokens/{first['id']}/revoke", headers=ADMIN).status_code == 200
    _token(client, ADMIN, name="rt", role="agent", customers=["contoso"])


def test_a_token_named_like_another_is_another_caller(client: TestClient, core: Core) -> None:
    """The issue's finding: the reveal and the run of one token are not another's of the
    same name, even in the same customer."""
    original = _token(client, ADMIN, name="rt", role="agent", customers=["lab"])
    owner = core.tokens.principal(original["token"])
    run = core.store.insert(
        make_run(
            1,
            customer="lab",
            action="account_unlock",
            params={"username": "anna"},
            requested_by=owner.name,
            requester_id=owner.id,
            status=RunStatus.RUNNING.value,
        )
    )
    reveal = core.reveals.create(run.id, owner.name, owner.id, "Temp-Canary-Password-1!")
    client.post(f"/tokens/{original['id']}/revoke", headers=ADMIN)
    twin = _token(client, ADMIN, name="rt", role="agent", customers=["lab"])
    assert core.tokens.principal(twin["token"]).name == owner.name

    assert client.post(f"/reveals/{reveal}", headers=_bearer(twin["token"])).status_code == 404
    canceled = client.post(f"/runs/{run.id}/cancel", headers=_bearer(twin["token"]))
    assert canceled.status_code == 403
    shown = client.get(f"/runs/{run.id}", headers=_bearer(twin["token"])).json()
    assert shown["requester_id"] == owner.id != core.tokens.principal(twin["token"]).id


def test_records_of_a_caller_carry_its_id(client: TestClient, core: Core) -> None:
    token = _token(client, ADMIN, name="rt-audit", role="agent", customers=["lab"])
    caller = core.tokens.principal(token["token"])
    body = {"customer": "lab", "ticket_id": "INC-9", "action": "smoke_check", "params": {}}
    client.post("/runs", headers=_bearer(token["token"]), json=body)  # 422: no host
    ok = {**body, "params": {"host": "lab-host"}, "check_mode": True}
    started = client.post("/runs", headers=_bearer(token["token"]), json=ok)
    assert started.status_code == 202, started.text
    assert started.json()["requester_id"] == caller.id
    with core.db.session() as session:
        data = session.execute(
            text("SELECT data FROM audit_records WHERE type = 'run.requested' AND run_id = :id"),
            {"id": started.json()["id"]},
        ).scalar_one()
    assert caller.id in str(data)


def test_the_bootstrap_token_is_stored_hashed_with_an_expiry(
    client: TestClient, core: Core
) -> None:
    with core.db.session() as session:
        rows = session.execute(text("SELECT * FROM api_tokens WHERE bootstrap")).all()
        everything = repr(session.execute(text("SELECT * FROM audit_records")).all())
    assert len(rows) == 1
    assert ADMIN_TOKEN not in repr(rows) and ADMIN_TOKEN not in everything
    assert hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest() in repr(rows)
    listed = [t for t in client.get("/tokens", headers=ADMIN).json() if t["bootstrap"]]
    expires = listed[0]["expires_at"]
    assert expires is not None
    ttl = core.settings.bootstrap_token_ttl_s
    left = (datetime.fromisoformat(expires) - utcnow()).total_seconds()
    assert ttl - 120 < left <= ttl
    # Expired, it opens nothing.
    with core.db.session() as session:
        session.execute(
            text("UPDATE api_tokens SET expires_at = :t WHERE bootstrap"),
            {"t": utcnow() - timedelta(seconds=1)},
        )
    assert client.get("/tokens", headers=ADMIN).status_code == 401


def test_an_admin_revokes_the_bootstrap_token_and_a_restart_does_not_revive_it(
    client: TestClient, core: Core
) -> None:
    admin = _token(client, ADMIN, name="ops-admin", role="admin")
    bootstrap = next(t for t in client.get("/tokens", headers=ADMIN).json() if t["bootstrap"])
    revoked = client.post(f"/tokens/{bootstrap['id']}/revoke", headers=_bearer(admin["token"]))
    assert revoked.status_code == 200, revoked.text
    assert client.get("/tokens", headers=ADMIN).status_code == 401
    # The same setting seen again (a restart) leaves it revoked.
    core.open_store()
    assert client.get("/tokens", headers=ADMIN).status_code == 401
    # A new bootstrap token replaces it and works.
    again = core.tokens.adopt_bootstrap("a-new-bootstrap-token-0123456789", ttl_s=600)
    assert again.revoked_at is None
    assert client.get("/tokens", headers=_bearer("a-new-bootstrap-token-0123456789")).is_success


def test_a_scoped_admin_grants_nothing_beyond_its_scope(client: TestClient) -> None:
    lab_admin = _bearer(
        _token(client, ADMIN, name="lab-admin", role="admin", customers=["lab"])["token"]
    )
    for body, reason in [
        ({"name": "escape-1", "role": "admin"}, "grant_customers"),
        ({"name": "escape-2", "role": "auditor"}, "grant_customers"),
        ({"name": "escape-3", "role": "agent", "customers": ["contoso"]}, "grant_customers"),
        ({"name": "escape-4", "role": "agent", "customers": ["lab", "contoso"]}, "grant_customers"),
    ]:
        answer = client.post("/tokens", headers=lab_admin, json=body)
        assert answer.status_code == 403, (body, answer.text)
        assert answer.json()["error"]["details"]["reason"] == reason
    inside = client.post(
        "/tokens",
        headers=lab_admin,
        json={"name": "lab-agent", "role": "agent", "customers": ["lab"]},
    )
    assert inside.status_code == 201, inside.text
    # Actions: a token limited to unlocks hands on unlocks only.
    unlock_admin = _bearer(
        _token(client, ADMIN, name="unlock-admin", role="admin", actions=["account_unlock"])[
            "token"
        ]
    )
    wider = client.post(
        "/tokens",
        headers=unlock_admin,
        json={"name": "all-actions", "role": "agent", "customers": ["lab"]},
    )
    assert (
        wider.status_code == 403 and wider.json()["error"]["details"]["reason"] == "grant_actions"
    )
    narrow = client.post(
        "/tokens",
        headers=unlock_admin,
        json={
            "name": "unlock-agent",
            "role": "agent",
            "customers": ["lab"],
            "actions": ["account_unlock"],
        },
    )
    assert narrow.status_code == 201, narrow.text


def test_a_token_does_not_outlive_the_token_that_made_it(client: TestClient) -> None:
    soon = (utcnow() + timedelta(hours=1)).isoformat()
    maker = _bearer(
        _token(client, ADMIN, name="short-admin", role="admin", expires_at=soon)["token"]
    )
    forever = client.post("/tokens", headers=maker, json={"name": "forever", "role": "auditor"})
    assert forever.status_code == 403
    assert forever.json()["error"]["details"]["reason"] == "grant_expiry"
    within = (utcnow() + timedelta(minutes=30)).isoformat()
    ok = client.post(
        "/tokens", headers=maker, json={"name": "brief", "role": "auditor", "expires_at": within}
    )
    assert ok.status_code == 201, ok.text


def test_a_scoped_admin_sees_and_revokes_only_its_customers_tokens(client: TestClient) -> None:
    lab_admin = _bearer(
        _token(client, ADMIN, name="lab-admin", role="admin", customers=["lab"])["token"]
    )
    contoso = _token(client, ADMIN, name="contoso-agent", role="agent", customers=["contoso"])
    lab = _token(client, ADMIN, name="lab-agent", role="agent", customers=["lab"])
    names = {t["name"] for t in client.get("/tokens", headers=lab_admin).json()}
    assert names == {"lab-admin", "lab-agent"}
    assert client.post(f"/tokens/{contoso['id']}/revoke", headers=lab_admin).status_code == 404
    assert client.post(f"/tokens/{lab['id']}/revoke", headers=lab_admin).status_code == 200


def test_credential_routes_check_the_customer(client: TestClient) -> None:
    lab_admin = _bearer(
        _token(client, ADMIN, name="lab-admin", role="admin", customers=["lab"])["token"]
    )
    body = {"username": "svc-fixline", "password": "Canary-Credential-Value-1!"}
    assert (
        client.put("/credentials/contoso/mailbox", headers=lab_admin, json=body).status_code == 404
    )
    assert client.get("/credentials/contoso", headers=lab_admin).status_code == 404
    assert client.put("/credentials/lab/mailbox", headers=lab_admin, json=body).status_code == 200


def _held_reset(client: TestClient, headers: dict[str, str]) -> str:
    body = {
        "customer": "lab",
        "ticket_id": "INC-42",
        "action": "password_reset",
        "params": {"username": "anna", "caller_verification": VERIFIED},
    }
    answer = client.post("/runs", headers=headers, json=body)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "awaiting_approval"
    run_id: str = answer.json()["id"]
    return run_id


def _persons_token(
    core: Core, person: str, role: Role, actions: list[str] | None = None
) -> dict[str, str]:
    """A token that a person of its own made (tokens made by one token share its person)."""
    customers = None if role is Role.ADMIN else ["lab"]
    issued = core.tokens.create(
        name=person, role=role, customers=customers, actions=actions, created_by=by(person)
    )
    return _bearer(issued.secret)


def test_an_admin_cannot_approve_their_own_request_through_a_token_they_made(
    client: TestClient, core: Core
) -> None:
    admin = _persons_token(core, "adam", Role.ADMIN)
    second = _bearer(
        _token(client, admin, name="adams-senior", role="senior_agent", customers=["lab"])["token"]
    )
    run_id = _held_reset(client, admin)
    mine = client.post(f"/approvals/{run_id}/approve", headers=second)
    assert mine.status_code == 403, mine.text
    assert mine.json()["error"]["details"]["reason"] == "own_request"
    # Another person's senior may.
    other = _persons_token(core, "sam", Role.SENIOR_AGENT)
    assert client.post(f"/approvals/{run_id}/approve", headers=other).status_code == 200


def test_approving_needs_the_right_to_run_the_action(client: TestClient, core: Core) -> None:
    requester = _persons_token(core, "alice", Role.AGENT)
    unlock_only = _persons_token(core, "sue", Role.SENIOR_AGENT, ["account_unlock"])
    run_id = _held_reset(client, requester)
    answer = client.post(f"/approvals/{run_id}/approve", headers=unlock_only)
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["details"]["reason"] == "action_scope"
    rejected = client.post(
        f"/approvals/{run_id}/reject", headers=unlock_only, json={"comment": "no"}
    )
    assert rejected.status_code == 403
