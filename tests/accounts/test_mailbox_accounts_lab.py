"""One account guardrail for mailbox actions, through the API against the real lab (Samba AD
DC, EWS simulator): a VIP's mailbox waits for a second person, and a protected or
deny-listed account (owner, colleague or forwarding recipient) is refused before any
request reaches Exchange."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from lab.ews import Request
from lab.ews.lab import MailboxLab
from runner_api.auth.principal import Role
from tests.api.conftest import wait_for_end
from tests.approvals.test_api import bearer

VIP_BOX = "maria.rossi@lab.test"
BEN = "ben.carter@lab.test"
ANNA = "anna.schmidt@lab.test"
# The simulator's operations that change a mailbox.
WRITES = {"SetUserOofSettings", "UpdateInboxRules", "UpdateFolder"}
# Accounts of the lab DC the simulator has no mailbox for by default.
PROTECTED_BOXES = {
    "walter.king@lab.test": "Walter King",
    "sophie.turner@lab.test": "Sophie Turner",
    "adm.domainadmins@lab.test": "adm.domainadmins",
}


def _post(client: TestClient, action: str, ticket: str, wait: int = 0, **params: Any) -> Any:
    body = {"customer": "lab", "ticket_id": ticket, "action": action, "params": params}
    answer = client.post("/runs", params={"wait": wait} if wait else {}, json=body)
    assert answer.status_code in (200, 202, 403), answer.text
    return answer.json()


def _writes(requests: list[Request]) -> list[tuple[str, str | None]]:
    return [(r.operation, r.target) for r in requests if r.operation in WRITES]


def test_changes_to_a_vip_mailbox_wait_for_approval(
    ews_simulator: MailboxLab, client: TestClient
) -> None:
    simulator = ews_simulator.simulator
    simulator.requests.clear()
    grant = _post(
        client, "mailbox_folder_permission_grant", "INC-700",
        mailbox=VIP_BOX, folder="inbox", user=BEN, level="Editor",
    )  # fmt: skip
    forward = _post(client, "mailbox_forwarding_set", "INC-701", mailbox=VIP_BOX, forward_to=BEN)
    for run in (grant, forward):
        assert run["status"] == "awaiting_approval", run
        [reason] = run["details"]["approval"]["reasons"]
        assert reason["rule"] == "vip_user"
        assert "maria.rossi" in reason["message"] and VIP_BOX in reason["message"]
    assert _writes(simulator.requests) == []
    # Reading her mailbox changes nothing: it does not wait.
    info = _post(client, "mailbox_info", "INC-702", wait=30, mailbox=VIP_BOX)
    assert info["status"] == "succeeded", info

    sara = bearer(client, "sara", Role.SENIOR_AGENT, ["lab"])
    approved = client.post(f"/approvals/{forward['id']}/approve", json={}, headers=sara)
    assert approved.status_code == 200, approved.text
    ended = wait_for_end(client, forward["id"], timeout=60)
    assert ended["status"] == "succeeded", ended
    assert _writes(simulator.requests) == [("UpdateInboxRules", VIP_BOX)]
    events = client.get(f"/runs/{forward['id']}/events", params={"stream": False}).json()
    checks = [e["message"] for e in events if e["kind"] == "guardrails"]
    assert any(
        "maria.rossi" in m and "VIP" in m and "approved by token:sara" in m for m in checks
    ), events


REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    ("mailbox_oof_set", {"mailbox": "walter.king@lab.test", "internal_message": "Away."},
     "deny list"),
    ("mailbox_folder_permission_grant",
     {"mailbox": "sophie.turner@lab.test", "folder": "inbox", "user": BEN, "level": "Editor"},
     "protected group Payroll-Admins"),
    ("mailbox_folder_permission_grant",
     {"mailbox": ANNA, "folder": "inbox", "user": "adm.domainadmins@lab.test",
      "level": "Editor"},
     "member (direct or nested) of Domain Admins"),
    ("mailbox_forwarding_set", {"mailbox": ANNA, "forward_to": "walter.king@lab.test"},
     "deny list"),
    ("mailbox_info", {"mailbox": "adm.domainadmins@lab.test"}, "Domain Admins"),
]  # fmt: skip


@pytest.mark.parametrize(("action", "params", "reason"), REFUSALS)
def test_protected_accounts_are_refused_before_any_request(
    action: str,
    params: dict[str, Any],
    reason: str,
    ews_simulator: MailboxLab,
    client: TestClient,
) -> None:
    simulator = ews_simulator.simulator
    for address, name in PROTECTED_BOXES.items():
        if simulator.state.mailbox(address) is None:
            simulator.state.add_mailbox(address, name)
    simulator.requests.clear()
    run = _post(client, action, "INC-710", wait=30, **params)
    assert run["status"] == "refused", run
    assert reason in run["error"] and "nothing was changed" in run["error"], run["error"]
    assert run["details"]["refused_by"] == "protected_target"
    assert simulator.requests == []
