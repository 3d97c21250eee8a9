"""The delivery loop of every outbox: claim a due row, send it, settle it, audit each attempt.

At least once: a row is claimed (next_attempt_at pushed past a lease) before it is sent and
settled after, so a crash in between sends it again after the lease; receivers drop the
duplicate by the row id. The loop runs on a thread of its own, woken by the heartbeat and
right after a run commits rows, so a slow receiver never holds up a worker.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute

from runner_api.audit.sink import AuditEvent, AuditSink
from runner_api.database import Base, Database
from runner_api.errors import ExecutorError
from runner_api.types import utcnow

log = logging.getLogger(__name__)
PENDING, SENT, FAILED = "pending", "sent", "failed"
_BATCH = 50


class DeliveryError(ExecutorError):
    """One attempt to hand a row to its receiver failed; the relay retries it later."""

    code = "delivery_failed"


@dataclass(frozen=True)
class Retry:
    """How often and how patiently a relay tries one row."""

    max_attempts: int
    backoff_s: float  # the wait after the first failure; doubles each time
    lease_s: float  # a claimed row is tried again after this, should its sender die


class OutboxRow(Protocol):
    """The columns every outbox table has (besides status, next_attempt_at, last_error,
    sent_at, which the relay only names in queries)."""

    @property
    def id(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def customer(self) -> str: ...
    @property
    def ticket_id(self) -> str: ...
    @property
    def attempts(self) -> int: ...


# Bound to Base: mypy does not see Mapped[str] columns as the protocol's str properties.
Row = TypeVar("Row", bound=Base)


class OutboxRelay(ABC, Generic[Row]):
    """One outbox's delivery side; one per process, safe beside relays of other processes."""

    #: The audit record types are "<event>.sent" and "<event>.failed".
    event: str

    def __init__(
        self,
        db: Database,
        audit: AuditSink,
        model: type[Row],
        retry: Retry,
    ) -> None:
        self.db = db
        self.audit = audit
        self.model = model
        self.max_attempts = retry.max_attempts
        self.backoff_s = retry.backoff_s
        self.lease_s = retry.lease_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"fixline-{self.event}", daemon=True
        )

    @abstractmethod
    def send(self, row: Row) -> None:
        """Deliver one row, or raise DeliveryError."""

    @abstractmethod
    def describe(self, row: Row) -> tuple[str, dict[str, Any]]:
        """The audited action name and data of a row (never its body or a secret)."""

    def start(self) -> None:
        self._thread.start()
        self.kick()  # rows left pending by an earlier process go out now

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def kick(self) -> None:
        """Ask the relay thread for a delivery round (cheap; a heartbeat chore)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.deliver_due()
            except Exception:  # a store hiccup must not end the relay; the next kick retries
                log.exception("%s relay round failed", self.event)

    def deliver_due(self, now: datetime | None = None) -> int:
        """Try every due pending row once; returns how many were delivered."""
        sent = 0
        for row_id in self._due(now or utcnow()):
            row = self._claim(row_id)
            if row is None:
                continue  # another relay holds it
            try:
                self.send(row)
            except DeliveryError as exc:
                self._failed(row, exc.message)
            else:
                self._settle(row, SENT, status=SENT, sent_at=utcnow(), last_error=None)
                sent += 1
        return sent

    def _col(self, name: str) -> InstrumentedAttribute[Any]:
        column: InstrumentedAttribute[Any] = getattr(self.model, name)
        return column

    def _due(self, now: datetime) -> list[str]:
        due = self._col("next_attempt_at")
        query = (
            select(self._col("id"))
            .where(self._col("status") == PENDING, due <= now)
            .order_by(due)
            .limit(_BATCH)
        )
        with self.db.session() as session:
            return list(session.scalars(query))

    def _claim(self, row_id: str) -> Row | None:
        now = utcnow()
        due = self._col("next_attempt_at")
        with self.db.session() as session:
            result = session.execute(
                update(self.model)
                .where(self._col("id") == row_id, self._col("status") == PENDING, due <= now)
                .values(next_attempt_at=now + timedelta(seconds=self.lease_s))
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return None
            return session.get(self.model, row_id)

    def _failed(self, row: Row, error: str) -> None:
        view = _view(row)
        attempt = view.attempts + 1
        final = attempt >= self.max_attempts
        retry_at = utcnow() + timedelta(seconds=self.backoff_s * 2 ** (attempt - 1))
        fields: dict[str, Any] = {"last_error": error}
        fields |= {"status": FAILED} if final else {"next_attempt_at": retry_at}
        self._settle(row, "failed" if final else "retrying", error=error, final=final, **fields)
        log.warning(
            "%s %s of run %s: attempt %d failed (%s)%s",
            self.event,
            view.id,
            view.run_id,
            attempt,
            error,
            "; giving up" if final else f"; next try at {retry_at.isoformat()}",
        )

    def _settle(
        self, row: Row, outcome: str, error: str | None = None, final: bool = False, **fields: Any
    ) -> None:
        """The row's new state and its audit record in one transaction."""
        view = _view(row)
        attempt = view.attempts + 1
        action, data = self.describe(row)
        data = {f"{self.event}_id": view.id, **data, "attempt": attempt}
        if error is not None:
            data |= {"error": error, "final": final}
        kind = f"{self.event}.{'sent' if outcome == SENT else 'failed'}"
        with self.db.session() as session:
            session.execute(
                update(self.model)
                .where(self._col("id") == view.id)
                .values(attempts=attempt, **fields)
            )
            self.audit.record(
                session,
                AuditEvent(
                    type=kind,
                    actor="fixline",
                    customer=view.customer,
                    ticket_id=view.ticket_id,
                    run_id=view.run_id,
                    action=action,
                    outcome=outcome,
                    data=data,
                ),
            )
        if outcome == SENT:
            log.info("%s %s of run %s sent (attempt %d)", self.event, view.id, view.run_id, attempt)


def _view(row: Base) -> OutboxRow:
    return cast(OutboxRow, row)
