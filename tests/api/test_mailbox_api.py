"""Mailbox fixes through the API: real exchangelib against the lab's EWS simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from runner_api.lab.ews.lab import MailboxLab
from tests.plugins.lab import LabHandle


@pytest.fixture
def ews_simulator(lab: LabHandle) -> Iterator[MailboxLab]:
    """The simulator on the port inventories/*/fixline.yml name, logins in the lab's store."""
    simulator = MailboxLab(lab.credentials)
    simulator.start()
    yield simulator
    simulator.stop()


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


def test_forwarding_outside_accepted_domains_is_refused(
    ews_simulator: MailboxLab, client: TestClient
) -> None:
    body = {
        "customer": "lab",
        "ticket_id": "INC-401",
        "action": "mailbox_forwarding_set",
        "params": {"mailbox": "anna.schmidt@lab.test", "forward_to": "someone@elsewhere.example"},
    }
    answer = client.post("/runs", params={"wait": 30}, json=body)
    run = answer.json()
    if answer.status_code == 202:
        assert run["status"] == "refused", run
        assert "accepted" in run["error"]
    else:
        assert answer.status_code in (403, 422), run
