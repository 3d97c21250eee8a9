"""The store on SQLite and PostgreSQL: runs, forward-only statuses, events, target locks."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from runner_api.database import Database
from runner_api.errors import InvalidTransitionError, RunNotFoundError
from runner_api.runs.filters import RunFilter
from runner_api.runs.models import RunEvent
from runner_api.runs.recovery import recover_orphans, worker_identity
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from runner_api.types import utcnow
from tests.runs.factories import make_run


def test_sqlite_runs_in_wal_with_full_sync(tmp_path: object) -> None:
    db = Database(f"sqlite:///{tmp_path}/wal.db")
    with db.session() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    db.dispose()


def test_insert_get_and_unknown(database: Database) -> None:
    store = RunStore(database)
    run = store.insert(make_run(1, params={"account": "u1", "secret": "********"}))
    again = store.get(run.id)
    assert again.ticket_id == "INC-1"
    assert again.params == {"account": "u1", "secret": "********"}
    assert again.created_at.tzinfo is not None
    with pytest.raises(RunNotFoundError):
        store.get("no-such-run")


def test_statuses_only_move_forward(database: Database) -> None:
    store = RunStore(database)
    run = store.insert(make_run(2))
    assert not store.transition(run.id, RunStatus.SUCCEEDED)  # not started yet
    assert store.transition(run.id, RunStatus.RUNNING, started_at=utcnow())
    assert not store.transition(run.id, RunStatus.RUNNING)
    assert store.transition(run.id, RunStatus.SUCCEEDED, summary="done")
    for later in (RunStatus.FAILED, RunStatus.CANCELED, RunStatus.INTERRUPTED):
        assert not store.transition(run.id, later)
    # Only a run awaiting approval moves (back) to queued; runs are never put on hold later.
    assert not store.transition(run.id, RunStatus.QUEUED)
    with pytest.raises(InvalidTransitionError):
        store.transition(run.id, RunStatus.AWAITING_APPROVAL)
    final = store.get(run.id)
    assert final.status == RunStatus.SUCCEEDED
    assert final.finished_at is not None


def test_search_filters_and_pages(database: Database) -> None:
    store = RunStore(database)
    for n in range(7):
        store.insert(make_run(n, ticket_id="INC-A" if n % 2 else "INC-B"))
    page = store.search(RunFilter(ticket_id="INC-A"), 2, None)
    assert [r.ticket_id for r in page] == ["INC-A", "INC-A"]
    seen = [r.id for r in page]
    last = page[-1]
    rest = store.search(RunFilter(ticket_id="INC-A"), 10, (last.created_at, last.id))
    seen += [r.id for r in rest]
    assert len(seen) == len(set(seen)) == 3
    assert store.search(RunFilter(status=RunStatus.RUNNING), 10, None) == []


def test_events_keep_their_order(database: Database) -> None:
    store = RunStore(database)
    run = store.insert(make_run(3))
    for seq in (1, 2, 3):
        store.add_event(
            RunEvent(run_id=run.id, seq=seq, created_at=utcnow(), kind="line", message=str(seq))
        )
    assert [e.message for e in store.events(run.id)] == ["1", "2", "3"]
    assert [e.seq for e in store.events(run.id, after_seq=2)] == [3]


def test_target_lock_is_exclusive_and_released_at_the_end(database: Database) -> None:
    store = RunStore(database)
    first, second = store.insert(make_run(4)), store.insert(make_run(5))
    assert store.try_lock_target("acme/user4", first.id)
    assert not store.try_lock_target("acme/user4", second.id)
    store.transition(first.id, RunStatus.RUNNING)
    store.transition(first.id, RunStatus.FAILED, error="x")
    assert store.try_lock_target("acme/user4", second.id)


def test_lock_and_start_is_one_transaction(database: Database) -> None:
    store = RunStore(database)
    first, second, canceled = (store.insert(make_run(n)) for n in (10, 11, 12))
    assert store.lock_and_start("acme/user10", first.id) is True
    assert store.get(first.id).status == RunStatus.RUNNING
    assert store.get(first.id).started_at is not None
    # Busy target: nothing written, the second run stays queued.
    assert store.lock_and_start("acme/user10", second.id) is None
    assert store.get(second.id).status == RunStatus.QUEUED
    # A run that may not start keeps no lock: the target is free for the next one.
    store.transition(canceled.id, RunStatus.CANCELED)
    assert store.lock_and_start("acme/user12", canceled.id) is False
    assert store.try_lock_target("acme/user12", second.id)


def test_recovery_interrupts_runs_of_dead_owners_only(database: Database) -> None:
    store = RunStore(database)
    me = worker_identity()
    host = me.split(":")[0]
    dead = store.insert(make_run(6, worker=f"{host}:999999:1", status="running"))
    mine = store.insert(make_run(7, worker=me, status="running"))
    far_alive = store.insert(make_run(8, worker="other-host:10:10"))
    far_stale = store.insert(
        make_run(9, worker="other-host:11:11", heartbeat_at=utcnow().replace(year=2020))
    )
    store.try_lock_target("acme/user6", dead.id)
    ended = recover_orphans(store, me, stale_after_s=30)
    assert set(ended) == {dead.id, far_stale.id}
    interrupted = store.get(dead.id)
    assert interrupted.status == RunStatus.INTERRUPTED
    assert "not re-run" in (interrupted.error or "")
    assert store.get(mine.id).status == RunStatus.RUNNING
    assert store.get(far_alive.id).status == RunStatus.QUEUED
    assert store.try_lock_target("acme/user6", mine.id)
