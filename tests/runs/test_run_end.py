"""A run's end in one transaction (outcome, last events, rows derived from it, its audit
record), and the audited hot path on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from runner_api.audit.log import AuditLog
from runner_api.audit.models import AuditRecord
from runner_api.audit.signing import load_or_create_signer
from runner_api.audit.verify import verify_chain
from runner_api.database import Database
from runner_api.runs.context import FollowUp
from runner_api.runs.models import Run
from runner_api.runs.status import RunStatus
from runner_api.runs.store import EndRows, RunStore
from runner_api.schedules.models import ScheduledRun
from runner_api.schedules.service import scheduled_rows
from runner_api.types import utcnow
from tests.runs.factories import make_run

OUTCOME = {"changed": True, "summary": "user1 unlocked", "details": {"step": 1}}


def _store(database: Database, tmp_path: Path) -> tuple[RunStore, AuditLog]:
    audit = AuditLog(database, load_or_create_signer(tmp_path / "audit.key"))
    return RunStore(database, audit=audit), audit


def _events(run_id: str, *kinds: str) -> list[dict[str, object]]:
    return [
        {
            "run_id": run_id,
            "seq": n,
            "created_at": utcnow(),
            "kind": kind,
            "task": None,
            "host": None,
            "message": kind,
            "data": {},
        }
        for n, kind in enumerate(kinds, 1)
    ]


def _records(database: Database, run_id: str) -> list[AuditRecord]:
    with database.session() as session:
        query = select(AuditRecord).where(AuditRecord.run_id == run_id).order_by(AuditRecord.seq)
        return list(session.scalars(query))


def test_end_writes_outcome_events_rows_and_its_audit_record(
    database: Database, tmp_path: Path
) -> None:
    store, audit = _store(database, tmp_path)
    run = store.insert(make_run(1))
    assert store.lock_and_start("acme/user1", run.id)
    due = utcnow() + timedelta(hours=1)

    def rows_for(ended: Run) -> EndRows:
        assert ended.status == RunStatus.SUCCEEDED  # the run as the end's UPDATE left it
        rows = scheduled_rows(ended, (FollowUp("group_remove", {"account": "user1"}, due),))
        return EndRows(rows, {"notifications": [{"to": "owner", "status": "pending"}]})

    ended = store.end(
        run.id,
        RunStatus.SUCCEEDED,
        OUTCOME,
        events=_events(run.id, "lookup", "change"),
        rows_for=rows_for,
    )
    assert ended is not None and ended.finished_at is not None
    merged = {"step": 1, "notifications": [{"to": "owner", "status": "pending"}]}
    assert ended.details == merged
    stored = store.get(run.id)
    assert (stored.status, stored.summary, stored.details) == (
        "succeeded",
        "user1 unlocked",
        merged,
    )
    assert [(e.seq, e.kind) for e in store.events(run.id)] == [(1, "lookup"), (2, "change")]
    with database.session() as session:
        follow_up = session.scalars(select(ScheduledRun)).one()
    assert (follow_up.parent_run_id, follow_up.action) == (run.id, "group_remove")
    assert store.lock_and_start("acme/user1", store.insert(make_run(2)).id)  # target freed
    records = _records(database, run.id)
    assert [r.type for r in records] == ["run.requested", "run.running", "run.succeeded"]
    assert json.loads(records[-1].data)["details"] == merged
    with database.engine.connect() as connection:
        assert verify_chain(connection, audit.signer.verifier).ok


def test_a_run_that_may_not_end_so_writes_nothing(database: Database, tmp_path: Path) -> None:
    store, _ = _store(database, tmp_path)
    run = store.insert(make_run(3))  # queued: it never ran, so it cannot succeed

    def rows_for(ended: Run) -> EndRows:
        raise AssertionError("no rows for a run that did not end")

    ended = store.end(
        run.id, RunStatus.SUCCEEDED, OUTCOME, events=_events(run.id, "x"), rows_for=rows_for
    )
    assert ended is None
    assert store.get(run.id).status == RunStatus.QUEUED
    assert store.events(run.id) == []
    assert [r.type for r in _records(database, run.id)] == ["run.requested"]


def test_insert_gives_unset_columns_their_defaults(database: Database, tmp_path: Path) -> None:
    store, _ = _store(database, tmp_path)
    bare = Run(
        id=str(uuid.uuid4()),
        customer="acme",
        ticket_id="INC-4",
        action="account_touch",
        target="user4",
        params={"account": "user4"},
        requested_by="tester",
        requester_id="test:tester",
        channel="api",
        status=RunStatus.QUEUED.value,
        timeout_s=60,
        created_at=utcnow(),
    )
    run = store.insert(bare)
    assert (run.summary, run.details, run.versions) == ("", {}, {})
    assert (run.check_mode, run.cancel_requested) == (False, False)
    stored = store.get(run.id)
    assert (stored.summary, stored.details, stored.check_mode) == ("", {}, False)
