"""The idempotency table on SQLite and PostgreSQL: of concurrent copies exactly one is first,
and no unanswered claim can hold its key for ever."""

from __future__ import annotations

import secrets
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from runner_api.database import Database
from runner_api.runs.schemas import Channel
from runner_api.secrets.cipher import SecretBox
from runner_api.webhooks.deliveries import (
    Answer,
    Deliveries,
    DuplicateDeliveryError,
    IdempotencyError,
    Received,
)
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


def received(source: str, key: str, body_sha256: str, sent_at: int | None = None) -> Received:
    """A v2 delivery; copies of one key share its timestamp unless one is given."""
    at = sent_at if sent_at is not None else 1_800_000_000 + zlib.crc32(key.encode()) % 10**6
    return Received(source, key, body_sha256, at, "v2")


def test_concurrent_claims_of_one_key_start_once(database: Database) -> None:
    deliveries = Deliveries(database, BOX, wait_s=10)
    winners: list[str] = []
    lock = threading.Lock()

    def claim(_: int) -> str | Answer:
        got = deliveries.claim(received("nagios", "delivery-000001", "a" * 64))
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
            received("generic", "delivery-000003", "c" * 64), QUEUED, {"username": "anna"}
        )

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(accept, range(40)))
    assert [first for _, first in results].count(True) == 1
    assert len({answer.body["run_id"] for answer, _ in results}) == 1
    assert {(a.status_code, a.body["status"]) for a, _ in results} == {(202, "accepted")}
    assert deliveries.find(received("generic", "delivery-000003", "c" * 64)) == results[0][0]


def test_a_key_with_another_body_is_refused_and_a_released_key_is_free(
    database: Database,
) -> None:
    deliveries = Deliveries(database, BOX, wait_s=0.1)
    first = deliveries.claim(received("rt", "rt-txn-000042", "a" * 64))
    assert isinstance(first, str)
    with pytest.raises(IdempotencyError):
        deliveries.claim(received("rt", "rt-txn-000042", "b" * 64))
    with pytest.raises(IdempotencyError, match="still being handled"):
        deliveries.claim(received("rt", "rt-txn-000042", "a" * 64))
    deliveries.release(first)
    assert isinstance(deliveries.claim(received("rt", "rt-txn-000042", "a" * 64)), str)
    # Another source may use the same key.
    assert isinstance(deliveries.claim(received("generic", "rt-txn-000042", "a" * 64)), str)
    refused = Answer(422, {"error": {"code": "unmapped_payload"}})
    assert (
        deliveries.refuse(received("generic", "rt-txn-000043", "a" * 64), refused, "no rule")
        == refused
    )
    with pytest.raises(IdempotencyError, match="another body"):
        deliveries.accept(received("generic", "rt-txn-000043", "b" * 64), QUEUED, {})


def test_a_claim_its_process_never_answered_does_not_wedge_the_key(database: Database) -> None:
    deliveries = Deliveries(database, BOX, wait_s=0.1, stale_s=0.5)
    abandoned = deliveries.claim(received("nagios", "nagios-000007", "a" * 64))
    assert isinstance(abandoned, str)  # ... and its process dies before settling it
    with pytest.raises(IdempotencyError, match="still being handled"):
        deliveries.claim(received("nagios", "nagios-000007", "a" * 64))
    time.sleep(0.6)
    retried = deliveries.claim(received("nagios", "nagios-000007", "a" * 64))
    assert isinstance(retried, str) and retried != abandoned
    deliveries.settle(retried, Answer(202, {"outcome": "started"}), None)
    assert deliveries.claim(received("nagios", "nagios-000007", "a" * 64)) == Answer(
        202, {"outcome": "started"}
    )


def test_prune_keeps_a_day_at_least(database: Database) -> None:
    deliveries = Deliveries(database, BOX, keep_s=60)  # asked for a minute: still kept 24 h
    assert isinstance(deliveries.claim(received("generic", "delivery-000002", "a" * 64)), str)
    assert deliveries.prune() == 0
    with pytest.raises(IdempotencyError):
        deliveries.claim(received("generic", "delivery-000002", "b" * 64))


def test_the_same_timestamp_and_body_under_other_keys_is_one_delivery(database: Database) -> None:
    """The store's own constraint: concurrent copies under 20 different keys, one first."""
    deliveries = Deliveries(database, BOX, wait_s=10)

    def accept(n: int) -> tuple[Answer, bool] | str:
        try:
            return deliveries.accept(
                received("generic", f"fresh-key-{n:04d}", "d" * 64, sent_at=1_800_000_500),
                QUEUED,
                {"username": "anna"},
            )
        except DuplicateDeliveryError as exc:
            return exc.code

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(accept, range(20)))
    firsts = [r for r in results if isinstance(r, tuple)]
    assert len(firsts) == 1 and firsts[0][1] is True
    assert results.count("duplicate_delivery") == 19
    # Each kind of first copy: a claim and a refusal hold their timestamp and body too.
    assert isinstance(deliveries.claim(received("nagios", "nagios-000100", "e" * 64, 5)), str)
    with pytest.raises(DuplicateDeliveryError):
        deliveries.claim(received("nagios", "nagios-000101", "e" * 64, 5))
    refused = Answer(422, {"error": {"code": "unmapped_payload"}})
    deliveries.refuse(received("generic", "delivery-000200", "f" * 64, 6), refused, "no rule")
    with pytest.raises(DuplicateDeliveryError):
        deliveries.refuse(received("generic", "delivery-000201", "f" * 64, 6), refused, "x")
    # Another timestamp, another body, or another source is another delivery.
    assert isinstance(deliveries.claim(received("nagios", "nagios-000102", "e" * 64, 7)), str)
    assert isinstance(deliveries.claim(received("nagios", "nagios-000103", "9" * 64, 5)), str)
    assert isinstance(deliveries.claim(received("rt", "nagios-000104", "e" * 64, 5)), str)


def test_a_replay_is_recorded_under_its_own_key(database: Database) -> None:
    deliveries = Deliveries(database, BOX)
    first = received("generic", "delivery-000300", "a" * 64, sent_at=1_800_000_900)
    deliveries.accept(first, QUEUED, {"username": "anna"})
    replay = received("generic", "fresh-key-0300", "a" * 64, sent_at=1_800_000_900)
    answer = Answer(409, {"error": {"code": "duplicate_delivery"}})
    assert deliveries.refuse(replay.as_replay(), answer, "a replay") == answer
    # Sent again under that key, it gets its recorded answer; nothing else is stored.
    assert deliveries.find(replay) == answer
    assert deliveries.refuse(replay.as_replay(), answer, "a replay") == answer
