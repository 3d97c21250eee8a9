"""The local pool: per-target exclusion, parallelism, cancel, crash handling, redaction.

The executor here is a stand-in for our own scheduling logic; real executors have their
own tests against real systems.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest

from runner_api.catalog.models import ActionKind
from runner_api.database import Database
from runner_api.dispatch.execution import JobRunner
from runner_api.dispatch.pool import LocalPool
from runner_api.errors import RunNotFoundError
from runner_api.runs.context import EventIn, Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from tests.runs.factories import make_job, make_run


class RecordingExecutor:
    """Sleeps a while, records when each target was busy, honours cancel."""

    def __init__(self, seconds: float = 0.3) -> None:
        self.seconds = seconds
        self.spans: list[tuple[str, float, float]] = []
        self.lock = threading.Lock()

    def execute(self, ctx: RunContext) -> Outcome:
        began = time.monotonic()
        ctx.emit(EventIn("task_start", message=f"touching {ctx.target}", task="touch"))
        if ctx.cancel_requested.wait(self.seconds):
            return Outcome(RunStatus.CANCELED, error="canceled")
        with self.lock:
            self.spans.append((ctx.target, began, time.monotonic()))
        return Outcome(RunStatus.SUCCEEDED, changed=True, summary=f"{ctx.target} touched")


class CrashingExecutor:
    def execute(self, ctx: RunContext) -> Outcome:
        raise RuntimeError(f"boom with {ctx.params['account']}")


class LeakyExecutor:
    """Tries to leak the secret everywhere an executor can put text."""

    def execute(self, ctx: RunContext) -> Outcome:
        secret = str(ctx.params["secret"])
        ctx.emit(EventIn("line", message=f"pw={secret}", task=secret, data={"pw": [secret]}))
        return Outcome(
            RunStatus.FAILED, summary=secret, error=f"bad {secret}", diff={"after": secret}
        )


@pytest.fixture
def store(database: Database) -> RunStore:
    return RunStore(database)


def _pool(store: RunStore, executor: object, workers: int = 4) -> LocalPool:
    pool = LocalPool(store, JobRunner(store, {ActionKind.DIRECTORY: executor}), workers)  # type: ignore[dict-item]
    pool.start()
    return pool


def _wait_terminal(store: RunStore, run_ids: list[str], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(RunStatus(store.get(i).status).terminal for i in run_ids):
            return
        time.sleep(0.05)
    raise AssertionError("runs did not finish in time")


@pytest.fixture
def recording() -> Iterator[RecordingExecutor]:
    return RecordingExecutor()


def test_same_target_never_overlaps_and_others_run_in_parallel(
    store: RunStore, recording: RecordingExecutor
) -> None:
    pool = _pool(store, recording)
    runs = [store.insert(make_run(n, target="alice" if n < 3 else f"u{n}")) for n in range(6)]
    for run in runs:
        pool.submit(make_job(run))
    _wait_terminal(store, [r.id for r in runs])
    pool.stop()
    alice = sorted((s, e) for t, s, e in recording.spans if t == "alice")
    assert len(alice) == 3
    for (_, end), (start, _) in itertools.pairwise(alice):
        assert start >= end, "two runs on one target overlapped"
    others = [(s, e) for t, s, e in recording.spans if t != "alice"]
    assert any(s < e2 and s2 < e for s, e in others for s2, e2 in others if (s, e) != (s2, e2))
    assert all(store.get(r.id).status == RunStatus.SUCCEEDED for r in runs)


def test_one_account_named_three_ways_never_overlaps(
    store: RunStore, recording: RecordingExecutor
) -> None:
    # AD and Entra ID names are case-insensitive, and in a hybrid customer the login and the
    # user principal name name one account: they share one lock.
    names = ["alice", "Alice", "alice@lab.test"]
    pool = _pool(store, recording)
    runs = [store.insert(make_run(n, target=name)) for n, name in enumerate(names)]
    for run in runs:
        pool.submit(make_job(run))
    _wait_terminal(store, [r.id for r in runs])
    pool.stop()
    spans = sorted((s, e) for _, s, e in recording.spans)
    assert len(spans) == 3
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, "two runs on one account overlapped"


def test_cancel_running_and_queued(store: RunStore) -> None:
    pool = _pool(store, RecordingExecutor(seconds=30), workers=1)
    first, second = store.insert(make_run(1)), store.insert(make_run(2))
    pool.submit(make_job(first))
    pool.submit(make_job(second))
    deadline = time.monotonic() + 5
    while store.get(first.id).status != RunStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.02)
    pool.cancel(second.id)
    store.transition(second.id, RunStatus.CANCELED)
    pool.cancel(first.id)
    _wait_terminal(store, [first.id, second.id], timeout=5)
    pool.stop()
    assert store.get(first.id).status == RunStatus.CANCELED
    assert store.get(second.id).started_at is None


def test_crashing_executor_ends_failed_with_a_reason(store: RunStore) -> None:
    pool = _pool(store, CrashingExecutor())
    run = store.insert(make_run(1))
    pool.submit(make_job(run))
    _wait_terminal(store, [run.id])
    pool.stop()
    ended = store.get(run.id)
    assert ended.status == RunStatus.FAILED
    assert "RuntimeError" in (ended.error or "")
    assert "user1" not in (ended.error or ""), "exception text may carry input; not stored"
    assert store.try_lock_target("acme/user1", run.id), "the target lock was released"


def test_secrets_are_scrubbed_from_events_and_outcome(store: RunStore) -> None:
    canary = "Canary-7f3a9-secret"
    pool = _pool(store, LeakyExecutor())
    run = store.insert(make_run(1, params={"account": "u", "secret": "********"}))
    job = make_job(run, secrets=(canary,))
    job.params["secret"] = canary
    pool.submit(job)
    _wait_terminal(store, [run.id])
    pool.stop()
    ended = store.get(run.id)
    stored = repr(ended.__dict__) + repr([e.__dict__ for e in store.events(run.id)])
    assert canary not in stored
    assert ended.error == "bad ********"


def test_a_run_handed_to_a_reserved_worker_starts_in_its_insert(
    store: RunStore, recording: RecordingExecutor
) -> None:
    """reserve/insert_started/hand: one transaction records the run running with its lock;
    the worker runs it without a start of its own, and a held target or a full pool says
    no before anything is written."""
    pool = _pool(store, recording, workers=2)
    run = make_run(1, target="alice")
    job = make_job(run)
    assert pool.reserve(job)
    assert not pool.reserve(make_job(make_run(2, target="alice"))), "target held by reservation"
    assert store.insert_started(run, job.lock_key)
    assert store.get(run.id).status == RunStatus.RUNNING and store.get(run.id).started_at
    pool.hand(job)
    _wait_terminal(store, [run.id])
    assert store.get(run.id).status == RunStatus.SUCCEEDED
    assert [target for target, _, _ in recording.spans] == ["alice"]

    # Another process holds the target: nothing is written, the run stays as it came.
    other = store.insert(make_run(3, target="bob"))
    blocked = make_run(4, target="bob")
    lock_key = make_job(blocked).lock_key
    assert store.try_lock_target(lock_key, other.id)
    assert not store.insert_started(blocked, lock_key)
    assert blocked.status == RunStatus.QUEUED and blocked.started_at is None
    with pytest.raises(RunNotFoundError):
        store.get(blocked.id)
    pool.stop()


def test_reserve_says_no_while_runs_wait_or_every_worker_is_taken(store: RunStore) -> None:
    pool = _pool(store, RecordingExecutor(seconds=30), workers=1)
    first = store.insert(make_run(1, target="carol"))
    pool.submit(make_job(first))
    deadline = time.monotonic() + 5
    while store.get(first.id).status != RunStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not pool.reserve(make_job(make_run(2, target="dave"))), "the only worker is busy"
    pool.cancel(first.id)
    _wait_terminal(store, [first.id], timeout=5)
    idle = make_job(make_run(3, target="dave"))
    assert pool.reserve(idle)
    pool.release(idle)
    assert pool.reserve(idle)
    pool.release(idle)
    pool.stop()


class LookingAheadExecutor(RecordingExecutor):
    """Notes which runs it was told to look ahead for, and which it was told to drop."""

    def __init__(self) -> None:
        super().__init__(seconds=0)
        self.ahead: list[str] = []
        self.dropped: list[str] = []

    def look_ahead(self, run_id: str, customer: object, action: str, params: object) -> None:
        self.ahead.append(run_id)

    def drop_ahead(self, run_id: str) -> None:
        self.dropped.append(run_id)


def test_a_reserved_job_looks_ahead_and_a_released_one_drops_it(store: RunStore) -> None:
    """Reads start when a worker is held for the job; a job that queues instead (its
    reservation given back) has them dropped, so it never decides on a stale read."""
    executor = LookingAheadExecutor()
    pool = _pool(store, executor, workers=1)
    held, other = make_job(make_run(1, target="erin")), make_job(make_run(2, target="fay"))
    assert pool.reserve(held)
    assert executor.ahead == [held.run_id] and executor.dropped == []
    assert not pool.reserve(other), "the only worker is held"
    assert executor.ahead == [held.run_id], "no reads for a job that did not get a worker"
    pool.release(held)
    assert executor.dropped == [held.run_id]
    pool.stop()
