"""Against a real server: a delivery accepted by a process that stopped before starting its
run is started when the service starts again, once; admins see refused deliveries."""

from __future__ import annotations

import json
from pathlib import Path

from runner_api.core import Core
from runner_api.webhooks.sender import signed_headers
from tests.plugins.server import Server
from tests.plugins.webhooks import SECRET, rows
from tests.webhooks.hooks import body_of, hook_settings, started_run, verified

UNLOCK = {
    "customer": "lab",
    "ticket_id": "HOOK-40",
    "action": "account_unlock",
    "params": {"username": "anna"},
}


def test_a_delivery_accepted_before_a_stop_is_started_once_at_start_up(
    hook_server: Server, tmp_path: Path
) -> None:
    hook_server.stop()
    # The same store and key as the server: its process answered, then died before starting.
    core = Core(hook_settings(hook_server.data_dir, tmp_path / "webhooks.yml"))
    core.open_store()
    answer = core.webhooks.accept(verified(core, "delivery-restart-1", UNLOCK))
    core.stop()
    assert answer.status_code == 202
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(0,)]

    hook_server.start()
    run = started_run(hook_server, answer.body["run_id"])
    assert (run["ticket_id"], run["action"]) == ("HOOK-40", "account_unlock")
    body = body_of(UNLOCK)
    replay = hook_server.client.post(
        "/webhooks/generic",
        content=body,
        headers=signed_headers(SECRET, body, "delivery-restart-1"),
    )
    assert (replay.status_code, replay.json()) == (202, answer.body)
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(1,)]
    assert rows(hook_server, "SELECT status FROM webhook_deliveries") == [("started",)]


def test_admins_see_refused_deliveries_with_the_reason_and_never_the_body(
    hook_server: Server,
) -> None:
    client = hook_server.client
    sent = {
        "rt-txn-2001": ("helpdesk", {"queue": "General", "subject": "printer jammed 7f3a"}),
        "rt-txn-2002": ("generic", {**UNLOCK, "customer": "contoso"}),
        "rt-txn-2003": ("generic", {**UNLOCK, "params": {"username": ""}}),
        "rt-txn-2004": ("generic", UNLOCK),
    }
    codes = {}
    for key, (source, payload) in sent.items():
        body = json.dumps(payload).encode()
        answer = client.post(
            f"/webhooks/{source}", content=body, headers=signed_headers(SECRET, body, key)
        )
        codes[key] = answer.status_code
    assert codes == {"rt-txn-2001": 422, "rt-txn-2002": 403, "rt-txn-2003": 422, "rt-txn-2004": 202}

    listed = client.get("/webhooks/deliveries", params={"status": "refused"})
    assert listed.status_code == 200, listed.text
    refused = {item["key"]: item for item in listed.json()}
    assert set(refused) == {"rt-txn-2001", "rt-txn-2002", "rt-txn-2003"}
    assert {k: (v["source"], v["status_code"]) for k, v in refused.items()} == {
        "rt-txn-2001": ("helpdesk", 422),
        "rt-txn-2002": ("generic", 403),
        "rt-txn-2003": ("generic", 422),
    }
    assert "no mapping rule" in refused["rt-txn-2001"]["reason"]
    assert "contoso" in refused["rt-txn-2002"]["reason"]
    assert "params.username" in refused["rt-txn-2003"]["reason"]
    assert set(refused["rt-txn-2001"]) == {
        "id",
        "source",
        "key",
        "status",
        "status_code",
        "reason",
        "run_id",
        "created_at",
        "scheme",
        "sent_at",
    }
    assert {v["scheme"] for v in refused.values()} == {"v2"}
    assert "printer jammed 7f3a" not in listed.text
    everything = client.get("/webhooks/deliveries").json()
    assert {item["key"] for item in everything} == set(sent)
    assert client.get("/webhooks/deliveries", params={"status": "bogus"}).status_code == 422
