"""JobRunner's events and end: live while a run lasts, written with the end when it is
short, the ended run handed to waiters, the relays woken after the end."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import select

from runner_api.catalog.models import ActionKind
from runner_api.database import Database
from runner_api.dispatch.execution import JobRunner
from runner_api.dispatch.run_events import LIVE_DELAY_S
from runner_api.notify.models import Notification
from runner_api.runs.context import Affected, Contact, EventIn, Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from tests.runs.factories import make_job, make_run


class Scripted:
    """Emits the given events, waiting on `release` after the first one if it is given."""

    def __init__(self, kinds: list[str], release: threading.Event | None = None) -> None:
        self.kinds = kinds
        self.release = release
        self.outcome = Outcome(RunStatus.SUCCEEDED, changed=True, summary="done")

    def execute(self, ctx: RunContext) -> Outcome:
        for n, kind in enumerate(self.kinds):
            ctx.emit(EventIn(kind, message=f"{kind} {ctx.target}"))
            if n == 0 and self.release is not None:
                assert self.release.wait(10), "the test never released the run"
        return self.outcome


def _runner(
    store: RunStore, executor: object, notices_committed: Callable[[], None] | None = None
) -> JobRunner:
    executors = {ActionKind.DIRECTORY: executor}
    return JobRunner(store, executors, notices_committed=notices_committed)  # type: ignore[arg-type]


def _until(check: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def test_a_running_runs_events_are_seen_while_it_runs(database: Database) -> None:
    store, release = RunStore(database), threading.Event()
    runner = _runner(store, Scripted(["started", "done"], release))
    run = store.insert(make_run(1))
    worker = threading.Thread(target=runner.run, args=(make_job(run), threading.Event()))
    began = time.monotonic()
    worker.start()
    try:
        assert _until(lambda: len(store.events(run.id)) == 1), "no live event"
        assert time.monotonic() - began < LIVE_DELAY_S + 3
        assert store.get(run.id).status == RunStatus.RUNNING
    finally:
        release.set()
        worker.join(10)
    assert [(e.seq, e.kind) for e in store.events(run.id)] == [(1, "started"), (2, "done")]
    assert store.get(run.id).status == RunStatus.SUCCEEDED


def test_a_short_run_writes_its_events_with_its_end_and_hands_it_over(
    database: Database,
) -> None:
    store = RunStore(database)
    runner = _runner(store, Scripted(["lookup", "guardrails", "change"]))
    run = store.insert(make_run(2))
    assert runner.run(make_job(run), threading.Event()) is RunStatus.SUCCEEDED
    events = store.events(run.id)
    assert [(e.seq, e.kind, e.message) for e in events] == [
        (1, "lookup", "lookup user2"),
        (2, "guardrails", "guardrails user2"),
        (3, "change", "change user2"),
    ]
    ended, stored = runner.ended_run(run.id), store.get(run.id)
    assert ended is not None
    for name in ("status", "summary", "changed", "details", "finished_at", "started_at"):
        assert getattr(ended, name) == getattr(stored, name), name
    assert runner.ended_run("another-run") is None


def test_the_relays_are_woken_after_an_end_with_notices(database: Database) -> None:
    store, woken = RunStore(database), threading.Event()
    executor = Scripted([])
    affected = Affected("user3", Contact("User Three", "user3@example.test"))
    executor.outcome = Outcome(RunStatus.SUCCEEDED, changed=True, affected=affected)
    runner = _runner(store, executor, notices_committed=woken.set)
    run = store.insert(make_run(3))
    assert runner.run(make_job(run), threading.Event()) is RunStatus.SUCCEEDED
    assert woken.wait(5), "the notification relay was never woken"
    notices = store.get(run.id).details["notifications"]
    assert [n["to"] for n in notices] == ["owner"]
    with database.session() as session:
        row = session.scalars(select(Notification)).one()
    assert (row.run_id, row.recipients) == (run.id, ["user3@example.test"])
