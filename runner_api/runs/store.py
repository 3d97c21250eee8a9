"""Database operations on runs, events and target locks (no policy here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner_api.audit.sink import AuditEvent, AuditSink, NoAudit
from runner_api.database import Base, Database
from runner_api.errors import InvalidTransitionError, RunNotFoundError
from runner_api.runs.models import Run, RunEvent, TargetLock
from runner_api.runs.status import ALLOWED_FROM, RunStatus
from runner_api.types import utcnow

# What a status change records: the outcome, never parameters (already recorded on request).
_AUDITED_FIELDS = ("changed", "summary", "error", "diff", "details")


@dataclass(frozen=True)
class RunFilter:
    ticket_id: str | None = None
    customer: str | None = None
    action: str | None = None
    status: RunStatus | None = None
    since: datetime | None = None
    # The caller's customer scope: None means every customer.
    within: frozenset[str] | None = None
    requested_by: str | None = None


def run_event(type_: str, run: Run, actor: str, **data: Any) -> AuditEvent:
    """The audit record of something that happened to a run (no parameters in `data`)."""
    return AuditEvent(
        type=type_,
        actor=actor,
        customer=run.customer,
        ticket_id=run.ticket_id,
        run_id=run.id,
        action=run.action,
        target=run.target,
        outcome=run.status,
        data=data,
    )


class _NotStartedError(Exception):
    """Internal: the run may not start, so lock_and_start rolls its lock back."""


def _event_values(event: RunEvent) -> dict[str, Any]:
    return {
        "run_id": event.run_id,
        "seq": event.seq,
        "created_at": event.created_at,
        "kind": event.kind,
        "task": event.task,
        "host": event.host,
        "message": event.message if event.message is not None else "",
        "data": event.data if event.data is not None else {},
    }


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
        kind = "run.refused" if run.status == RunStatus.REFUSED else "run.requested"
        with self.db.session() as session:
            session.add(run)
            session.flush()
            session.add_all(also_add)
            self.audit.record(
                session,
                run_event(
                    kind,
                    run,
                    run.requested_by,
                    channel=run.channel,
                    params=run.params,
                    check_mode=run.check_mode,
                    error=run.error,
                ),
            )
            for event in also_record:
                self.audit.record(session, event)
        return run

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
        with self.db.session() as session:
            return self._move(session, run_id, to, also_add, also_record, fields)

    def _move(
        self,
        session: Session,
        run_id: str,
        to: RunStatus,
        also_add: Sequence[Base],
        also_record: Sequence[AuditEvent],
        fields: dict[str, Any],
    ) -> bool:
        """The body of `transition`, in the caller's transaction."""
        allowed = [status.value for status in ALLOWED_FROM[to]]
        values = {"status": to.value, **fields}
        if to.terminal:
            values.setdefault("finished_at", utcnow())
        # RETURNING: the run as updated comes back with the UPDATE itself, one statement
        # instead of an UPDATE, a SELECT and a refresh (hot path of every run).
        run = session.scalars(
            update(Run)
            .where(Run.id == run_id, Run.status.in_(allowed))
            .values(**values)
            .returning(Run)
            .execution_options(synchronize_session=False)
        ).one_or_none()
        if run is None:
            return False
        if to.terminal:
            session.execute(delete(TargetLock).where(TargetLock.run_id == run_id))
        session.add_all(also_add)
        audited = {k: v for k, v in fields.items() if k in _AUDITED_FIELDS}
        self.audit.record(
            session, run_event(f"run.{to.value}", run, run.worker or "fixline", **audited)
        )
        for event in also_record:
            self.audit.record(session, event)
        return True

    def lock_and_start(self, target: str, run_id: str) -> bool | None:
        """Take the target's lock and move the run to running, in ONE transaction.

        None: another run holds the target (nothing written). False: the run may not start
        (e.g. canceled while queued; the lock is not kept). True: locked and running, the
        running record committed (before anything outside is touched).
        """
        # One commit instead of two on every run's way to the outside system.
        try:
            with self.db.session() as session:
                values = {"target": target, "run_id": run_id, "acquired_at": utcnow()}
                session.execute(insert(TargetLock), [values])
                if self._move(session, run_id, RunStatus.RUNNING, (), (), {"started_at": utcnow()}):
                    return True
                raise _NotStartedError  # rolls the lock back with the transaction
        except IntegrityError:
            return None
        except _NotStartedError:
            return False

    def request_cancel(self, run_id: str, actor: str) -> None:
        with self.db.session() as session:
            session.execute(update(Run).where(Run.id == run_id).values(cancel_requested=True))
            run = session.get(Run, run_id)
            if run is not None:
                self.audit.record(session, run_event("run.cancel_requested", run, actor))

    def cancel_requested(self, run_ids: Sequence[str]) -> set[str]:
        if not run_ids:
            return set()
        with self.db.session() as session:
            query = select(Run.id).where(Run.id.in_(run_ids), Run.cancel_requested.is_(True))
            return set(session.scalars(query))

    def add_event(self, event: RunEvent) -> None:
        # A plain INSERT, not the ORM's unit of work: events are on every run's hot path
        # and nothing reads the object back.
        with self.db.connection() as connection:
            connection.execute(insert(RunEvent), _event_values(event))

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
                values = {"target": target, "run_id": run_id, "acquired_at": utcnow()}
                connection.execute(insert(TargetLock), values)
        except IntegrityError:
            return False
        return True

    def release_target(self, run_id: str) -> None:
        with self.db.session() as session:
            session.execute(delete(TargetLock).where(TargetLock.run_id == run_id))

    def heartbeat(self, worker: str) -> None:
        """Mark this process's unfinished runs as still owned."""
        active = [RunStatus.QUEUED.value, RunStatus.RUNNING.value]
        with self.db.session() as session:
            session.execute(
                update(Run)
                .where(Run.worker == worker, Run.status.in_(active))
                .values(heartbeat_at=utcnow())
            )

    def unfinished(self) -> list[Run]:
        active = [RunStatus.QUEUED.value, RunStatus.RUNNING.value]
        with self.db.session() as session:
            return list(session.scalars(select(Run).where(Run.status.in_(active))))
