"""Webhook deliveries against a real server: replays (part concurrent) give exactly one run
per delivery, started after the answer under the id it announced, also across a restart;
stale, tampered and unsigned deliveries are refused; unmatched payloads are recorded and
shown to admins."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from runner_api.webhooks.sender import signed_headers
from runner_api.webhooks.signature import sign_v1
from tests.plugins.server import Server
from tests.plugins.webhooks import OLD_SECRET, SECRET, rows
from tests.webhooks.hooks import started_run, wait_rows

DELIVERIES = 200
COPIES = 5  # 200 x 5 = 1,000 sends


def payload(n: int) -> dict[str, Any]:
    return {
        "customer": "lab",
        "ticket_id": f"HOOK-{n}",
        "action": "account_unlock",
        "params": {"username": f"user{n}"},
    }


def send(client: httpx.Client, n: int, secret: str = SECRET) -> httpx.Response:
    body = json.dumps(payload(n)).encode()
    return client.post(
        "/webhooks/generic", content=body, headers=signed_headers(secret, body, f"delivery-{n}")
    )


def resend_with_fresh_keys(
    client: httpx.Client, source: str, body: bytes, captured: dict[str, str]
) -> list[httpx.Response]:
    """What an eavesdropper does with one captured delivery: send it 3 times, new keys."""
    return [
        client.post(
            f"/webhooks/{source}",
            content=body,
            headers={**captured, "Idempotency-Key": f"fresh-key-{n:04d}"},
        )
        for n in range(3)
    ]


def test_a_thousand_replays_give_exactly_one_run_each(hook_server: Server) -> None:
    limits = httpx.Limits(max_connections=50)
    with httpx.Client(base_url=hook_server.client.base_url, limits=limits, timeout=60) as client:
        # The first half: every copy at once, from 50 threads; the second: one after another.
        concurrent = [n for n in range(DELIVERIES // 2) for _ in range(COPIES)]
        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(lambda n: send(client, n), concurrent))
        for n in range(DELIVERIES // 2, DELIVERIES):
            answers += [
                send(client, n, SECRET if copy % 2 else OLD_SECRET) for copy in range(COPIES)
            ]
    assert len(answers) == DELIVERIES * COPIES
    assert {a.status_code for a in answers} == {202}, {
        a.text for a in answers if a.status_code != 202
    }
    by_delivery: dict[str, set[str]] = {}
    for answer in answers:
        body = answer.json()
        by_delivery.setdefault(body["ticket_id"], set()).add(body["run_id"])
    assert all(len(ids) == 1 for ids in by_delivery.values())
    # Every run is started under the id its delivery announced, and only once.
    wait_rows(
        hook_server, "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'accepted'", [(0,)]
    )
    started = rows(
        hook_server,
        "SELECT ticket_id, id FROM runs WHERE requested_by = 'webhook:generic' ORDER BY ticket_id",
    )
    assert sorted(started) == sorted((ticket, ids.pop()) for ticket, ids in by_delivery.items())
    assert rows(hook_server, "SELECT DISTINCT channel FROM runs") == [("webhook",)]


def test_stale_future_tampered_and_unsigned_are_refused(hook_server: Server) -> None:
    client = hook_server.client
    body = json.dumps(payload(1)).encode()
    now = int(time.time())
    refused = []
    for offset in (-301, 301, -3600):
        headers = signed_headers(SECRET, body, "delivery-stale", at=now + offset)
        refused.append(client.post("/webhooks/generic", content=body, headers=headers))
    good = signed_headers(SECRET, body, "delivery-tampered")
    for position in range(0, len(body), 7):
        tampered = bytearray(body)
        tampered[position] ^= 0x20
        refused.append(client.post("/webhooks/generic", content=bytes(tampered), headers=good))
    reserialized = json.dumps(json.loads(body), indent=1).encode()
    headers = signed_headers(SECRET, reserialized, "delivery-reser")
    refused.append(client.post("/webhooks/generic", content=body, headers=headers))
    refused.append(client.post("/webhooks/generic", json=payload(1)))  # bearer token only
    unknown = signed_headers(SECRET, body, "delivery-unknown-source")
    refused.append(client.post("/webhooks/nosuchsource", content=body, headers=unknown))
    assert [a.status_code for a in refused] == [401] * len(refused)
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(0,)]
    assert rows(hook_server, "SELECT COUNT(*) FROM webhook_deliveries") == [(0,)]


def test_same_key_with_another_body_is_an_idempotency_error(hook_server: Server) -> None:
    client = hook_server.client
    assert send(client, 5).status_code == 202
    body = json.dumps(payload(6)).encode()
    headers = signed_headers(SECRET, body, "delivery-5")
    answer = client.post("/webhooks/generic", content=body, headers=headers)
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "idempotency_error"
    wait_rows(
        hook_server, "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'accepted'", [(0,)]
    )
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(1,)]


def test_an_unmatched_payload_is_recorded_with_its_reason_and_nothing_runs(
    hook_server: Server,
) -> None:
    client = hook_server.client
    ticket = {"queue": "General", "subject": "printer jammed", "ticket_id": 42}
    body = json.dumps(ticket).encode()
    answer = client.post(
        "/webhooks/helpdesk", content=body, headers=signed_headers(SECRET, body, "rt-txn-1001")
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "unmapped_payload"
    # Invalid parameters for a matched rule: 422 from the action's schema, recorded too.
    bad = {"queue": "General", "subject": "I am locked out", "ticket_id": 43, "requestor": ""}
    body2 = json.dumps(bad).encode()
    answer2 = client.post(
        "/webhooks/helpdesk", content=body2, headers=signed_headers(SECRET, body2, "rt-txn-1002")
    )
    assert answer2.status_code == 422
    assert answer2.json()["error"]["code"] == "invalid_params"
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(0,)]
    recorded = rows(
        hook_server,
        "SELECT key, status, status_code, run_id FROM webhook_deliveries ORDER BY key",
    )
    assert recorded == [
        ("rt-txn-1001", "refused", 422, None),
        ("rt-txn-1002", "refused", 422, None),
    ]
    # A replay gets the recorded answer again.
    again = client.post(
        "/webhooks/helpdesk", content=body, headers=signed_headers(SECRET, body, "rt-txn-1001")
    )
    assert (again.status_code, again.json()) == (422, answer.json())


def test_a_matching_rule_starts_the_mapped_run(hook_server: Server) -> None:
    ticket = {
        "queue": "General",
        "subject": "Locked out again",
        "ticket_id": 44,
        "requestor": "anna",
    }
    body = json.dumps(ticket).encode()
    answer = hook_server.client.post(
        "/webhooks/helpdesk", content=body, headers=signed_headers(SECRET, body, "rt-txn-1003")
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "accepted"  # answered before the run is started
    run = started_run(hook_server, answer.json()["run_id"])
    assert run["id"] == answer.json()["run_id"]
    assert (run["action"], run["ticket_id"], run["params"]) == (
        "account_unlock",
        "44",
        {"username": "anna"},
    )
    assert run["requested_by"] == "webhook:helpdesk"


def test_a_captured_delivery_resent_with_fresh_keys_starts_no_second_run(
    hook_server: Server,
) -> None:
    client = hook_server.client
    body = json.dumps(payload(70)).encode()
    captured = signed_headers(SECRET, body, "delivery-captured-70")
    assert client.post("/webhooks/generic", content=body, headers=captured).status_code == 202
    # Inside the window, the same signed bytes under keys the sender never used.
    replays = resend_with_fresh_keys(client, "generic", body, captured)
    wait_rows(
        hook_server, "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'accepted'", [(0,)]
    )
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(1,)]
    # The key is part of what is signed: another key is another, unsigned, delivery.
    assert [r.status_code for r in replays] == [401, 401, 401]


def test_a_second_delivery_of_one_timestamp_and_body_is_refused_whatever_the_key(
    hook_server: Server,
) -> None:
    """Independently of the scheme: a sender (or a holder of the secret) re-signing the same
    bytes under a new key gets 409 duplicate_delivery, recorded; never a second run."""
    client = hook_server.client
    body = json.dumps(payload(71)).encode()
    now = int(time.time())
    first = client.post(
        "/webhooks/generic", content=body, headers=signed_headers(SECRET, body, "delivery-71", now)
    )
    assert first.status_code == 202
    again = signed_headers(SECRET, body, "fresh-key-0071", now)
    refused = [client.post("/webhooks/generic", content=body, headers=again) for _ in range(2)]
    assert [r.status_code for r in refused] == [409, 409]
    assert refused[0].json() == refused[1].json()
    assert refused[0].json()["error"]["code"] == "duplicate_delivery"
    # Another second is another delivery (a sender's new attempt signs a new timestamp).
    later = client.post(
        "/webhooks/generic",
        content=body,
        headers=signed_headers(SECRET, body, "delivery-71-b", now - 1),
    )
    assert later.status_code == 202
    wait_rows(
        hook_server, "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'accepted'", [(0,)]
    )
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(2,)]
    recorded = rows(
        hook_server,
        "SELECT key, status, status_code, scheme, sent_at IS NULL, reason "
        "FROM webhook_deliveries WHERE key = 'fresh-key-0071'",
    )
    assert len(recorded) == 1
    assert recorded[0][:5] == ("fresh-key-0071", "refused", 409, "v2", 1)
    assert "delivered before under another Idempotency-Key" in recorded[0][5]


def test_a_source_that_still_accepts_v1_records_it_and_refuses_fresh_key_replays(
    hook_server: Server,
) -> None:
    client = hook_server.client
    ticket = {"queue": "General", "subject": "locked out", "ticket_id": 72, "requestor": "anna"}
    body = json.dumps(ticket).encode()
    now = int(time.time())
    captured = {
        "Content-Type": "application/json",
        "X-Fixline-Timestamp": str(now),
        "X-Fixline-Signature": sign_v1(SECRET, now, body),
        "Idempotency-Key": "rt-txn-7200",
    }
    assert client.post("/webhooks/legacy", content=body, headers=captured).status_code == 202
    # v1 does not sign the key: the replays pass the signature, and the store refuses them.
    replays = resend_with_fresh_keys(client, "legacy", body, captured)
    assert [r.status_code for r in replays] == [409, 409, 409]
    # The same v1 signature to a source that accepts v2 only: 401, with what to send.
    v2_only = client.post("/webhooks/helpdesk", content=body, headers=captured)
    assert v2_only.status_code == 401 and "accepts only v2" in v2_only.text
    wait_rows(
        hook_server, "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'accepted'", [(0,)]
    )
    assert rows(hook_server, "SELECT COUNT(*) FROM runs") == [(1,)]
    listed = client.get("/webhooks/deliveries").json()
    assert sorted((d["key"], d["scheme"], d["status_code"]) for d in listed) == [
        ("fresh-key-0000", "v1", 409),
        ("fresh-key-0001", "v1", 409),
        ("fresh-key-0002", "v1", 409),
        ("rt-txn-7200", "v1", 202),
    ]
