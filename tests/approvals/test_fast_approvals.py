"""Approvals through the API on the fast tier (FakeDirectory as the DC): what test_api.py
checks against the lab's Samba DC, in-process."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lab.directory_data import LAB_USER_PASSWORD
from runner_api.auth.principal import Role
from tests.approvals.test_api import VIP, bearer
from tests.directory.conftest import VERIFIED
from tests.plugins.fakes import FAST_AUTH, Fakes, audit_types, run_fix, start, wait_for_end


def _reset(client: TestClient, ticket: str, who: dict[str, str], username: str = VIP) -> dict:  # type: ignore[type-arg]
    return start(
        client, "password_reset", ticket, headers=who, username=username,
        caller_verification=VERIFIED,
    )  # fmt: skip


def test_vip_reset_waits_then_a_second_person_approves_and_it_runs(
    fast_client: TestClient, fakes: Fakes
) -> None:
    sam = bearer(fast_client, "sam", Role.SENIOR_AGENT, ["lab"])
    sara = bearer(fast_client, "sara", Role.SENIOR_AGENT, ["lab"])
    run = _reset(fast_client, "INC-500", sam)
    assert run["status"] == "awaiting_approval"
    assert [r["rule"] for r in run["details"]["approval"]["reasons"]] == ["vip_user"]
    queue = fast_client.get("/approvals", headers=sara).json()
    assert [(a["run_id"], a["requested_by"]) for a in queue] == [(run["id"], "token:sam")]
    own = fast_client.post(f"/approvals/{run['id']}/approve", json={}, headers=sam)
    assert own.status_code == 403, own.text
    assert fakes.directory.writes == []
    approved = fast_client.post(
        f"/approvals/{run['id']}/approve", json={"comment": "VIP called from desk"}, headers=sara
    )
    assert approved.status_code == 200, approved.text
    ended = wait_for_end(fast_client, run["id"])
    assert ended["status"] == "succeeded", ended
    assert ended["details"]["approval"]["decided_by"] == "token:sara"
    assert fakes.directory.bind("lab", VIP, LAB_USER_PASSWORD) == (49, "52e")
    assert fast_client.get("/approvals", headers=sara).json() == []
    types = set(audit_types(fast_client, run["id"]))
    assert {"approval.requested", "approval.denied", "approval.approved"} <= types


def test_reject_leaves_the_account_untouched(fast_client: TestClient, fakes: Fakes) -> None:
    alice = bearer(fast_client, "alice", Role.AGENT, ["lab"])
    sara = bearer(fast_client, "sara", Role.SENIOR_AGENT, ["lab"])
    run = _reset(fast_client, "INC-501", alice)
    assert fast_client.post(f"/approvals/{run['id']}/approve", headers=alice).status_code == 403
    missing = fast_client.post(f"/approvals/{run['id']}/reject", json={}, headers=sara)
    assert missing.status_code == 422
    rejected = fast_client.post(
        f"/approvals/{run['id']}/reject", json={"comment": "caller not verified"}, headers=sara
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert "caller not verified" in rejected.json()["error"]
    assert fakes.directory.bind("lab", VIP, LAB_USER_PASSWORD) == (0, None)
    assert fakes.directory.writes == []


def test_second_reset_of_the_same_account_waits(fast_client: TestClient) -> None:
    first = run_fix(
        fast_client, "password_reset", "INC-503", username="henry.moreau",
        caller_verification=VERIFIED,
    )  # fmt: skip
    assert first["status"] == "succeeded", first
    second = _reset(fast_client, "INC-504", FAST_AUTH, "henry.moreau")
    assert second["status"] == "awaiting_approval"
    assert [r["rule"] for r in second["details"]["approval"]["reasons"]] == ["repeat_reset"]


def test_other_customers_agent_can_neither_see_nor_decide(fast_client: TestClient) -> None:
    run = _reset(fast_client, "INC-505", FAST_AUTH)
    olga = bearer(fast_client, "olga", Role.SENIOR_AGENT, ["contoso"])
    assert fast_client.get("/approvals", headers=olga).json() == []
    for verb, body in (("approve", {}), ("reject", {"comment": "no"})):
        answer = fast_client.post(f"/approvals/{run['id']}/{verb}", json=body, headers=olga)
        assert answer.status_code == 404, answer.text
    assert fast_client.get(f"/runs/{run['id']}", headers=olga).status_code == 404
