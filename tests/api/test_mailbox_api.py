"""Mailbox fixes through the API: real exchangelib against the lab's EWS simulator."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lab.ews.lab import MailboxLab


def test_out_of_office_set_and_read_back(ews_simulator: MailboxLab, client: TestClient) -> None:
    body = {
        "customer": "lab",
        "ticket_id": "INC-400",
        "action": "mailbox_oof_set",
        "params": {"mailbox": "anna.schmidt@lab.test", "internal_message": "Back Monday."},
    }
    run = client.post("/runs", params={"wait": 30}, json=body).json()
    assert run["status"] == "succeeded", run
    assert run["changed"] is True
    info = client.get(
        "/mailbox/info", params={"customer": "lab", "mailbox": "anna.schmidt@lab.test"}
    )
    assert info.status_code == 200, info.text
    assert "Back Monday." in info.text


def test_forwarding_outside_accepted_domains_waits_for_approval(
    ews_simulator: MailboxLab, client: TestClient
) -> None:
    # Refused before approvals existed; now a second person decides (tests/approvals).
    body = {
        "customer": "lab",
        "ticket_id": "INC-401",
        "action": "mailbox_forwarding_set",
        "params": {"mailbox": "anna.schmidt@lab.test", "forward_to": "someone@elsewhere.example"},
    }
    answer = client.post("/runs", params={"wait": 30}, json=body)
    run = answer.json()
    assert answer.status_code == 202, run
    assert run["status"] == "awaiting_approval", run
    assert run["details"]["approval"]["reasons"][0]["rule"] == "external_forwarding"
