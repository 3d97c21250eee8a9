"""Database operations on runs, events and target locks (no policy here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from runner_api.audit.sink import AuditEvent, AuditSink, NoAudit
from runner_api.database import Base, Database
from runner_api.errors import InvalidTransitionError, RunNotFoundError
from runner_api.runs import statements
from runner_api.runs.filters import RunFilter
from runner_api.runs.models import Run, RunEvent
from runner_api.runs.status import ALLOWED_FROM, RunStatus
from runner_api.types import utcnow

# What a status change records: the outcome, never parameters (already recorded on request).
_AUDITED_FIELDS = ("changed", "summary", "error", "diff", "details")


def _lock(target: str, run_id: str) -> dict[str, Any]:
    """The values of a target_locks row taken now (statements.TAKE_TARGET)."""
    return {"target": target, "run_id": run_id, "acquired_at": utcnow()}


def _requested(run: Run) -> AuditEvent:
    """The audit record of a new run (its parameters are stored masked already)."""
    kind = "run.refused" if run.status == RunStatus.REFUSED else "run.requested"
    return run_event(
        kind,
        run,
        run.requested_by,
        actor_id=run.requester_id,
        channel=run.channel,
        params=run.params,
        check_mode=run.check_mode,
        error=run.error,
    )


def _moved(run: Run, fields: Mapping[str, Any]) -> AuditEvent:
    """The audit record of a move: its outcome fields, never parameters."""
    audited = {k: v for k, v in fields.items() if k in _AUDITED_FIELDS}
    return run_event(f"run.{run.status}", run, run.worker or "fixline", **audited)


def run_event(
    type_: str, run: Run, actor: str, actor_id: str | None = None, **data: Any
) -> AuditEvent:
    """The audit record of something that happened to a run (no parameters in `data`)."""
    return AuditEvent(
        type=type_,
        actor=actor,
        actor_id=actor_id,
        customer=run.customer,
        ticket_id=run.ticket_id,
        run_id=run.id,
        action=run.action,
        target=run.target,
        outcome=run.status,
        data=data,
    )


@dataclass(frozen=True)
class EndRows:
    """What a run's end writes besides its status, derived from the run as it ended."""

    rows: Sequence[Base] = ()
    # Merged into the run's details (and its audited end), e.g. the notices' summary.
    details: Mapping[str, Any] = field(default_factory=dict)


class _NotStartedError(Exception):
    """Internal: the run may not start, so lock_and_start rolls its lock back."""


class RunStore:
    """Reads and writes runs; every status change goes through `transition`.

    Each write carries its audit record in the same transaction (fail closed).
    """

    def __init__(self, db: Database, audit: AuditSink | None = None) -> None:
        self.db = db
        self.audit: AuditSink = audit or NoAudit()

    def insert(
        self,
        run: Run,
        *,
        also_add: Sequence[Base] = (),
        also_record: Sequence[AuditEvent] = (),
    ) -> Run:
        """Write a new run; `also_add` rows and `also_record` audit events (e.g. its approval
        request) go in the same transaction."""
        requested = _requested(run)
        with self._writing(also_add) as connection:
            statements.INSERT_RUN.execute(connection, statements.insert_values(run))
            self.audit.record(connection, requested, *also_record)
        return run

    def insert_started(self, run: Run, target: str) -> bool:
        """Write a new queued run already moved to running, with its target's lock, in ONE
        transaction: the records of `insert` and `lock_and_start` together, for a run a
        free worker takes at once. False when another run holds the target (nothing
        written, `run` as it came)."""
        requested = _requested(run)
        started = {"started_at": utcnow()}
        try:
            with self.db.connection() as connection:
                run.status, run.started_at = RunStatus.RUNNING.value, started["started_at"]
                statements.INSERT_RUN.execute(connection, statements.insert_values(run))
                # After the run: the lock names it (foreign key). A held target rolls both back.
                statements.TAKE_TARGET.execute(connection, _lock(target, run.id))
                self.audit.record(connection, requested, _moved(run, started))
        except BaseException as exc:
            run.status, run.started_at = RunStatus.QUEUED.value, None
            if isinstance(exc, IntegrityError):
                return False
            raise
        return True

    @contextmanager
    def _writing(self, rows: Sequence[Base] = ()) -> Iterator[Connection]:
        """One transaction of the hot path: a plain connection, or a session's when ORM
        `rows` go along (flushed at its commit, after the statements run here)."""
        if not rows:
            with self.db.connection() as connection:
                yield connection
            return
        with self.db.session() as session:
            session.add_all(rows)
            yield session.connection()

    def get(self, run_id: str) -> Run:
        with self.db.session() as session:
            run = session.get(Run, run_id)
            if run is None:
                raise RunNotFoundError(f"no run with id {run_id!r}", run_id=run_id)
            return run

    def search(
        self, filters: RunFilter, limit: int, cursor: tuple[datetime, str] | None
    ) -> list[Run]:
        query = select(Run)
        if filters.ticket_id is not None:
            query = query.where(Run.ticket_id == filters.ticket_id)
        if filters.ticket_prefix:
            # substr, not LIKE: no wildcard to escape, and case-sensitive on every database.
            size = len(filters.ticket_prefix)
            query = query.where(func.substr(Run.ticket_id, 1, size) == filters.ticket_prefix)
        if filters.customer is not None:
            query = query.where(Run.customer == filters.customer)
        if filters.action is not None:
            query = query.where(Run.action == filters.action)
        if filters.within is not None:
            query = query.where(Run.customer.in_(sorted(filters.within)))
        if filters.requested_by is not None:
            query = query.where(Run.requested_by == filters.requested_by)
        if filters.status is not None:
            query = query.where(Run.status == filters.status.value)
        if filters.since is not None:
            query = query.where(Run.created_at >= filters.since)
        if cursor is not None:
            created, run_id = cursor
            query = query.where(
                (Run.created_at < created) | ((Run.created_at == created) & (Run.id < run_id))
            )
        query = query.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit)
        with self.db.session() as session:
            return list(session.scalars(query))

    def transition(
        self,
        run_id: str,
        to: RunStatus,
        *,
        also_add: Sequence[Base] = (),
        also_record: Sequence[AuditEvent] = (),
        **fields: Any,
    ) -> bool:
        """Move a run forward; False when its current status does not allow it.

        `also_add` rows (e.g. scheduled follow-ups) and `also_record` audit events (e.g. an
        approval decision) are written in the same transaction, only when the run moved.
        """
        if to not in ALLOWED_FROM:
            raise InvalidTransitionError(f"no run may move to {to}")
        with self._writing(also_add) as connection:
            return self._move(connection, run_id, to, also_record, fields)

    def end(
        self,
        run_id: str,
        to: RunStatus,
        fields: Mapping[str, Any],
        *,
        events: Sequence[Mapping[str, Any]] = (),
        rows_for: Callable[[Run], EndRows] | None = None,
    ) -> Run | None:
        """Record a run's end in ONE transaction: status and outcome `fields`, its last
        `events` (statements.event_values), the rows `rows_for` derives from the run as
        ended (notices, follow-ups, write-back) and the audit record. The run as ended, or
        None when its status does not allow the move (nothing written then)."""
        if not to.terminal:
            raise InvalidTransitionError(f"{to} is not an end")
        with self.db.connection() as connection:
            run = statements.move_run(connection, run_id, to, fields)
            if run is None:
                return None
            statements.INSERT_EVENTS.execute_many(connection, events)
            extra = rows_for(run) if rows_for is not None else EndRows()
            if extra.details:
                run.details = {**run.details, **extra.details}
                params = {"run_id": run_id, "new_details": run.details}
                statements.SET_DETAILS.execute(connection, params)
                fields = {**fields, "details": run.details}
            statements.insert_rows(connection, extra.rows)
            self.audit.record(connection, _moved(run, fields))
        return run

    def _move(
        self,
        connection: Connection,
        run_id: str,
        to: RunStatus,
        also_record: Sequence[AuditEvent],
        fields: dict[str, Any],
    ) -> bool:
        """The body of `transition`, in the caller's transaction."""
        run = statements.move_run(connection, run_id, to, fields)
        if run is None:
            return False
        self.audit.record(connection, _moved(run, fields), *also_record)
        return True

    def lock_and_start(self, target: str, run_id: str, **fields: Any) -> bool | None:
        """Take the target's lock and move the run to running, in ONE transaction.

        None: another run holds the target (nothing written). False: the run may not start
        (e.g. canceled while queued; the lock is not kept). True: locked and running, the
        running record committed (before anything outside is touched). `fields` are set
        with the move (a site worker's claim names the worker that now owns the run).
        """
        # One commit instead of two on every run's way to the outside system.
        try:
            with self.db.connection() as connection:
                statements.TAKE_TARGET.execute(connection, _lock(target, run_id))
                moved = {"started_at": utcnow(), **fields}
                if self._move(connection, run_id, RunStatus.RUNNING, (), moved):
                    return True
                raise _NotStartedError  # rolls the lock back with the transaction
        except IntegrityError:
            return None
        except _NotStartedError:
            return False

    def request_cancel(self, run_id: str, actor: str, actor_id: str | None = None) -> None:
        with self.db.session() as session:
            session.execute(update(Run).where(Run.id == run_id).values(cancel_requested=True))
            run = session.get(Run, run_id)
            if run is not None:
                event = run_event("run.cancel_requested", run, actor, actor_id)
                self.audit.record(session, event)

    def cancel_requested(self, run_ids: Sequence[str]) -> set[str]:
        if not run_ids:
            return set()
        with self.db.session() as session:
            query = select(Run.id).where(Run.id.in_(run_ids), Run.cancel_requested.is_(True))
            return set(session.scalars(query))

    def add_event(self, event: RunEvent) -> None:
        self.add_events([statements.event_values(event)])

    def add_events(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Write events (statements.event_values) in one INSERT and one commit."""
        # A plain INSERT, not the ORM's unit of work: events are on every run's hot path
        # and nothing reads the objects back.
        if events:
            with self.db.connection() as connection:
                statements.INSERT_EVENTS.execute_many(connection, events)

    def events(self, run_id: str, after_seq: int = 0, limit: int = 1000) -> list[RunEvent]:
        query = (
            select(RunEvent)
            .where(RunEvent.run_id == run_id, RunEvent.seq > after_seq)
            .order_by(RunEvent.seq)
            .limit(limit)
        )
        with self.db.session() as session:
            return list(session.scalars(query))

    def try_lock_target(self, target: str, run_id: str) -> bool:
        """Take the lock of a target for a run; False when another run holds it."""
        try:
            with self.db.connection() as connection:
                # A plain INSERT (hot path); the primary key on target makes it exclusive.
                statements.TAKE_TARGET.execute(connection, _lock(target, run_id))
        except IntegrityError:
            return False
        return True

    def release_target(self, run_id: str) -> None:
        with self.db.connection() as connection:
            statements.FREE_TARGET.execute(connection, {"run_id": run_id})

    def heartbeat(self, worker: str) -> None:
        """Mark this process's unfinished runs as still owned."""
        active = [RunStatus.QUEUED.value, RunStatus.RUNNING.value]
        with self.db.session() as session:
            session.execute(
                update(Run)
                .where(Run.worker == worker, Run.status.in_(active))
                .values(heartbeat_at=utcnow())
            )

    def take_over(self, run: Run, me: str) -> bool:
        """Make `me` the owner of a queued run whose owner stopped; False when another
        process took it first, or it moved on. Audited in the same transaction."""
        with self.db.session() as session:
            # Conditional on the owner it had: of two processes taking it, one wins.
            moved = session.execute(
                update(Run)
                .where(
                    Run.id == run.id,
                    Run.status == RunStatus.QUEUED.value,
                    Run.worker == run.worker,
                    Run.sealed_job.is_not(None),
                )
                .values(worker=me, heartbeat_at=utcnow())
            )
            if not moved.rowcount:  # type: ignore[attr-defined]
                return False
            self.audit.record(
                session, run_event("run.taken_over", run, me, previous_owner=run.worker)
            )
        run.worker = me
        return True

    def unfinished(self, worker: str | None = None) -> list[Run]:
        """Queued and running runs; only those `worker` owns when named (filtered in SQL)."""
        active = [RunStatus.QUEUED.value, RunStatus.RUNNING.value]
        query = select(Run).where(Run.status.in_(active))
        if worker is not None:
            query = query.where(Run.worker == worker)
        with self.db.session() as session:
            return list(session.scalars(query))
