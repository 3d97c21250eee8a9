"""The idempotency table on SQLite and PostgreSQL: of concurrent copies exactly one is first,
and no unanswered claim can hold its key for ever."""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from runner_api.database import Database
from runner_api.runs.schemas import Channel
from runner_api.secrets.cipher import SecretBox
from runner_api.webhooks.deliveries import Answer, Deliveries, IdempotencyError
from runner_api.webhooks.queued import QueuedRun

BOX = SecretBox(secrets.token_bytes(32))
QUEUED = QueuedRun(
    customer="lab",
    ticket_id="HOOK-1",
    action="account_unlock",
    target="anna",
    requested_by="webhook:generic",
    channel=Channel.WEBHOOK,
    rule="generic",
    masked_params={"username": "anna"},
)


def test_concurrent_claims_of_one_key_start_once(database: Database) -> None:
    deliveries = Deliveries(database, BOX, wait_s=10)
    winners: list[str] = []
    lock = threading.Lock()

    def claim(_: int) -> str | Answer:
        got = deliveries.claim("nagios", "delivery-000001", "a" * 64)
        if isinstance(got, str):
            with lock:
                winners.append(got)
            deliveries.settle(got, Answer(202, {"run_id": "r-1"}), "r-1")
        return got

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(claim, range(40)))
    assert len(winners) == 1
    answers = [r for r in results if isinstance(r, Answer)]
    assert len(answers) == 39
    assert {a.status_code for a in answers} == {202}


def test_concurrent_copies_of_an_accepted_delivery_get_one_run_id(database: Database) -> None:
    deliveries = Deliveries(database, BOX)

    def accept(_: int) -> tuple[Answer, bool]:
        return deliveries.accept(
            "generic", "delivery-000003", "c" * 64, QUEUED, {"username": "anna"}
        )

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(accept, range(40)))
    assert [first for _, first in results].count(True) == 1
    assert len({answer.body["run_id"] for answer, _ in results}) == 1
    assert {(a.status_code, a.body["status"]) for a, _ in results} == {(202, "accepted")}
    assert deliveries.find("generic", "delivery-000003", "c" * 64) == results[0][0]


def test_a_key_with_another_body_is_refused_and_a_released_key_is_free(
    database: Database,
) -> None:
    deliveries = Deliveries(database, BOX, wait_s=0.1)
    first = deliveries.claim("rt", "rt-txn-000042", "a" * 64)
    assert isinstance(first, str)
    with pytest.raises(IdempotencyError):
        deliveries.claim("rt", "rt-txn-000042", "b" * 64)
    with pytest.raises(IdempotencyError, match="still being handled"):
        deliveries.claim("rt", "rt-txn-000042", "a" * 64)
    deliveries.release(first)
    assert isinstance(deliveries.claim("rt", "rt-txn-000042", "a" * 64), str)
    # Another source may use the same key.
    assert isinstance(deliveries.claim("generic", "rt-txn-000042", "a" * 64), str)
    refused = Answer(422, {"error": {"code": "unmapped_payload"}})
    assert deliveries.refuse("generic", "rt-txn-000043", "a" * 64, refused, "no rule") == refused
    with pytest.raises(IdempotencyError, match="another body"):
        deliveries.accept("generic", "rt-txn-000043", "b" * 64, QUEUED, {})


def test_a_claim_its_process_never_answered_does_not_wedge_the_key(database: Database) -> None:
    deliveries = Deliveries(database, BOX, wait_s=0.1, stale_s=0.5)
    abandoned = deliveries.claim("nagios", "nagios-000007", "a" * 64)
    assert isinstance(abandoned, str)  # ... and its process dies before settling it
    with pytest.raises(IdempotencyError, match="still being handled"):
        deliveries.claim("nagios", "nagios-000007", "a" * 64)
    time.sleep(0.6)
    retried = deliveries.claim("nagios", "nagios-000007", "a" * 64)
    assert isinstance(retried, str) and retried != abandoned
    deliveries.settle(retried, Answer(202, {"outcome": "started"}), None)
    assert deliveries.claim("nagios", "nagios-000007", "a" * 64) == Answer(
        202, {"outcome": "started"}
    )


def test_prune_keeps_a_day_at_least(database: Database) -> None:
    deliveries = Deliveries(database, BOX, keep_s=60)  # asked for a minute: still kept 24 h
    assert isinstance(deliveries.claim("generic", "delivery-000002", "a" * 64), str)
    assert deliveries.prune() == 0
    with pytest.raises(IdempotencyError):
        deliveries.claim("generic", "delivery-000002", "b" * 64)
