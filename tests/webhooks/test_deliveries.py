"""The idempotency table on SQLite and PostgreSQL: of concurrent claims exactly one wins."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from runner_api.database import Database
from runner_api.webhooks.deliveries import Answer, Deliveries, IdempotencyError


def test_concurrent_claims_of_one_key_start_once(database: Database) -> None:
    deliveries = Deliveries(database, wait_s=10)
    winners: list[str] = []
    lock = threading.Lock()

    def claim(_: int) -> str | Answer:
        got = deliveries.claim("generic", "delivery-000001", "a" * 64)
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


def test_a_key_with_another_body_is_refused_and_a_released_key_is_free(
    database: Database,
) -> None:
    deliveries = Deliveries(database, wait_s=0.1)
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


def test_prune_keeps_a_day_at_least(database: Database) -> None:
    deliveries = Deliveries(database, keep_s=60)  # asked for a minute: still kept 24 h
    assert isinstance(deliveries.claim("generic", "delivery-000002", "a" * 64), str)
    assert deliveries.prune() == 0
    with pytest.raises(IdempotencyError):
        deliveries.claim("generic", "delivery-000002", "b" * 64)
