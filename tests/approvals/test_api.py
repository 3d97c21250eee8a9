"""Approvals and rate limits through the API, with runs going to the real lab (Samba AD DC,
EWS simulator): held runs, second-person decisions, scope, 429 with Retry-After."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text, update

from lab.ews.lab import MailboxLab
from runner_api.app import create_app
from runner_api.approvals.models import Approval
from runner_api.auth.principal import Role
from runner_api.core import Core
from runner_api.settings import Settings
from runner_api.types import utcnow
from tests.api.conftest import AUTH, wait_for_end
from tests.api.test_directory_api import VERIFIED, _bind_result
from tests.authz.conftest import by
from tests.plugins.directory_lab import DirectoryLabHandle

VIP = "maria.rossi"


def bearer(client: TestClient, name: str, role: Role, customers: list[str]) -> dict[str, str]:
    core: Core = client.app.state.core  # type: ignore[attr-defined]
    issued = core.tokens.create(
        name=name,
        role=role,
        customers=customers,
        actions=None,
        created_by=by(name),
    )
    return {"Authorization": f"Bearer {issued.secret}"}


def _request(
    client: TestClient, who: dict[str, str], action: str, ticket: str, **params: Any
) -> dict[str, Any]:
    body = {"customer": "lab", "ticket_id": ticket, "action": action, "params": params}
    answer = client.post("/runs", json=body, headers=who)
    assert answer.status_code == 202, answer.text
    run: dict[str, Any] = answer.json()
    return run


def test_vip_reset_waits_then_a_second_person_approves_and_it_runs(
    fresh_directory_lab: DirectoryLabHandle, client: TestClient
) -> None:
    sam = bearer(client, "sam", Role.SENIOR_AGENT, ["lab"])
    sara = bearer(client, "sara", Role.SENIOR_AGENT, ["lab"])
    run = _request(
        client, sam, "password_reset", "INC-500", username=VIP, caller_verification=VERIFIED
    )
    assert run["status"] == "awaiting_approval"
    assert [r["rule"] for r in run["details"]["approval"]["reasons"]] == ["vip_user"]
    queue = client.get("/approvals", headers=sara).json()
    assert [(a["run_id"], a["requested_by"]) for a in queue] == [(run["id"], "token:sam")]

    own = client.post(f"/approvals/{run['id']}/approve", json={}, headers=sam)
    assert own.status_code == 403, own.text
    assert client.get(f"/runs/{run['id']}").json()["status"] == "awaiting_approval"

    approved = client.post(
        f"/approvals/{run['id']}/approve", json={"comment": "VIP called from desk"}, headers=sara
    )
    assert approved.status_code == 200, approved.text
    ended = wait_for_end(client, run["id"], timeout=60)
    assert ended["status"] == "succeeded", ended
    assert ended["details"]["approval"]["decided_by"] == "token:sara"
    # It really ran against the DC: the old password is gone.
    old = _bind_result(fresh_directory_lab, VIP, fresh_directory_lab["lab"].user_password)
    assert old[0] == 49 and "52e" in old[1]
    assert client.get("/approvals", headers=sara).json() == []
    audit = client.get("/audit/records", params={"run_id": run["id"]})
    assert audit.status_code == 200, audit.text
    types = {record["type"] for record in audit.json()["items"]}
    assert {"approval.requested", "approval.denied", "approval.approved"} <= types


def test_reject_leaves_the_account_untouched(
    fresh_directory_lab: DirectoryLabHandle, client: TestClient
) -> None:
    alice = bearer(client, "alice", Role.AGENT, ["lab"])
    sara = bearer(client, "sara", Role.SENIOR_AGENT, ["lab"])
    run = _request(
        client, alice, "password_reset", "INC-501", username=VIP, caller_verification=VERIFIED
    )
    # An agent is no approver.
    assert client.post(f"/approvals/{run['id']}/approve", headers=alice).status_code == 403
    missing = client.post(f"/approvals/{run['id']}/reject", json={}, headers=sara)
    assert missing.status_code == 422  # a rejection says why
    rejected = client.post(
        f"/approvals/{run['id']}/reject", json={"comment": "caller not verified"}, headers=sara
    )
    assert rejected.status_code == 200, rejected.text
    ended = rejected.json()
    assert ended["status"] == "rejected" and "caller not verified" in ended["error"]
    assert client.get(f"/runs/{run['id']}/events", params={"stream": False}).json() == []
    assert _bind_result(fresh_directory_lab, VIP, fresh_directory_lab["lab"].user_password)[0] == 0


def test_expired_approval_is_rejected_by_the_heartbeat_chore(
    directory_lab: DirectoryLabHandle, client: TestClient
) -> None:
    core: Core = client.app.state.core  # type: ignore[attr-defined]
    assert core.approvals.expire_overdue in core.heartbeat.chores
    run = _request(
        client, AUTH, "password_reset", "INC-502", username=VIP, caller_verification=VERIFIED
    )
    with core.db.session() as session:
        session.execute(
            update(Approval)
            .where(Approval.run_id == run["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    deadline = time.monotonic() + 30
    while (ended := client.get(f"/runs/{run['id']}").json())["status"] == "awaiting_approval":
        assert time.monotonic() < deadline, "the chore did not expire the approval"
        time.sleep(0.2)
    assert ended["status"] == "rejected" and "expired" in ended["error"]
    with core.db.session() as session:
        sealed = session.scalar(
            text("SELECT sealed_params FROM approvals WHERE run_id = :id"), {"id": run["id"]}
        )
    assert sealed is None


def test_second_reset_of_the_same_account_waits(
    fresh_directory_lab: DirectoryLabHandle, client: TestClient
) -> None:
    first = _request(
        client, AUTH, "password_reset", "INC-503", username="henry.moreau",
        caller_verification=VERIFIED,
    )  # fmt: skip
    assert wait_for_end(client, first["id"], timeout=60)["status"] == "succeeded"
    second = _request(
        client, AUTH, "password_reset", "INC-504", username="henry.moreau",
        caller_verification=VERIFIED,
    )  # fmt: skip
    assert second["status"] == "awaiting_approval"
    assert [r["rule"] for r in second["details"]["approval"]["reasons"]] == ["repeat_reset"]


def test_other_customers_agent_can_neither_see_nor_decide(
    directory_lab: DirectoryLabHandle, client: TestClient
) -> None:
    run = _request(
        client, AUTH, "password_reset", "INC-505", username=VIP, caller_verification=VERIFIED
    )
    olga = bearer(client, "olga", Role.SENIOR_AGENT, ["contoso"])
    assert client.get("/approvals", headers=olga).json() == []
    for verb, body in (("approve", {}), ("reject", {"comment": "no"})):
        answer = client.post(f"/approvals/{run['id']}/{verb}", json=body, headers=olga)
        assert answer.status_code == 404, answer.text
    assert client.get(f"/runs/{run['id']}", headers=olga).status_code == 404


def test_external_forwarding_waits_and_runs_once_approved(
    ews_simulator: MailboxLab, client: TestClient
) -> None:
    outside = "someone@elsewhere.example"
    run = _request(
        client, AUTH, "mailbox_forwarding_set", "INC-506",
        mailbox="anna.schmidt@lab.test", forward_to=outside,
    )  # fmt: skip
    assert run["status"] == "awaiting_approval"
    assert [r["rule"] for r in run["details"]["approval"]["reasons"]] == ["external_forwarding"]
    sara = bearer(client, "sara", Role.SENIOR_AGENT, ["lab"])
    assert client.post(f"/approvals/{run['id']}/approve", headers=sara).status_code == 200
    ended = wait_for_end(client, run["id"], timeout=60)
    assert ended["status"] == "succeeded", ended
    assert ended["diff"]["after"] == {"forward_to": outside}


def test_rate_limit_answers_429_is_audited_and_outlives_the_app(
    directory_lab: DirectoryLabHandle, settings: Settings
) -> None:
    limited = settings.model_copy(update={"rate_limit_requester_per_hour": 2})
    body = {
        "customer": "lab",
        "ticket_id": "INC-507",
        "action": "account_unlock",
        "params": {"username": "ben.carter"},
        # Not a preview: previews never count.
        "check_mode": False,
    }
    with TestClient(create_app(limited), headers=AUTH) as client:
        for _ in range(2):
            assert client.post("/runs", json=body).status_code == 202
        hit = client.post("/runs", json=body)
        assert hit.status_code == 429, hit.text
        assert 3500 <= int(hit.headers["retry-after"]) <= 3600
        assert hit.json()["error"]["details"]["limit"] == "requester"
        core: Core = client.app.state.core  # type: ignore[attr-defined]
        with core.db.session() as session:
            recorded = session.scalar(
                text("SELECT count(*) FROM audit_records WHERE type = 'run.rate_limited'")
            )
        assert recorded == 1
    # A new process on the same store counts the same runs.
    with TestClient(create_app(limited), headers=AUTH) as again:
        assert again.post("/runs", json=body).status_code == 429
        assert len(again.get("/runs").json()["items"]) == 2
