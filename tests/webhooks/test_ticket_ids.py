"""A ticket id a webhook rule takes from the payload passes the API's ticket-id check: a bad
one refuses the delivery (recorded, with the reason), and no run is ever made with it."""

from __future__ import annotations

import json

from runner_api.webhooks.sender import signed_headers
from tests.plugins.server import Server
from tests.plugins.webhooks import SECRET, rows

PLANT = "{{ lookup('pipe', 'id') }}"


def test_a_rule_mapping_a_bad_ticket_id_is_refused_and_recorded(hook_server: Server) -> None:
    client = hook_server.client
    ticket = {"queue": "General", "subject": "locked out", "ticket_id": PLANT, "requestor": "anna"}
    body = json.dumps(ticket).encode()
    headers = signed_headers(SECRET, body, "rt-txn-4001")
    answer = client.post("/webhooks/helpdesk", content=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_ticket_id"
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(0,)]
    recorded = rows(hook_server, "SELECT key, status, status_code, reason FROM webhook_deliveries")
    assert len(recorded) == 1
    key, status, code, reason = recorded[0]
    assert (key, status, code) == ("rt-txn-4001", "refused", 422)
    assert "ticket id" in reason
    listed = client.get("/webhooks/deliveries", params={"status": "refused"}).json()
    assert [(d["key"], d["reason"]) for d in listed] == [("rt-txn-4001", reason)]
