"""Delivers pending notices over SMTP: retries with back-off, every attempt audited.

At least once: a row is claimed (next_attempt_at pushed past a lease) before it is sent and
settled after, so a crash in between sends it again after the lease, with the same
Message-ID for the receiver to drop. The relay works on a thread of its own, woken by the
heartbeat and right after a run commits its notices, so a slow mail server never holds up
the heartbeat or a worker.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from runner_api.audit.sink import AuditEvent, AuditSink
from runner_api.database import Database
from runner_api.notify.compose import message_of
from runner_api.notify.models import Notification, NotificationStatus
from runner_api.notify.transport import DeliveryError, MailTransport
from runner_api.types import utcnow

log = logging.getLogger(__name__)
UNCONFIGURED = "no SMTP server is configured (FIXLINE_SMTP_HOST): waiting"
_PENDING = NotificationStatus.PENDING.value
_BATCH = 50


class Relay:
    """The outbox's delivery side; one per process, safe beside relays of other processes."""

    def __init__(
        self,
        db: Database,
        audit: AuditSink,
        transport: MailTransport | None,
        *,
        sender: str,
        max_attempts: int,
        backoff_s: float,
        lease_s: float,
    ) -> None:
        self.db = db
        self.audit = audit
        self.transport = transport
        self.sender = sender
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.lease_s = lease_s
        self._warned = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fixline-notify", daemon=True)

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
                log.exception("notification relay round failed")

    def deliver_due(self, now: datetime | None = None) -> int:
        """Try every due pending notice once; returns how many were sent."""
        if self.transport is None:
            self._unconfigured()
            return 0
        sent = 0
        for note_id in self._due(now or utcnow()):
            note = self._claim(note_id)
            if note is None:
                continue  # another relay holds it
            try:
                self.transport.send(message_of(note, self.sender))
            except DeliveryError as exc:
                self._failed(note, exc.message)
            else:
                self._sent(note)
                sent += 1
        return sent

    def _due(self, now: datetime) -> list[str]:
        query = (
            select(Notification.id)
            .where(Notification.status == _PENDING, Notification.next_attempt_at <= now)
            .order_by(Notification.next_attempt_at)
            .limit(_BATCH)
        )
        with self.db.session() as session:
            return list(session.scalars(query))

    def _claim(self, note_id: str) -> Notification | None:
        now = utcnow()
        with self.db.session() as session:
            result = session.execute(
                update(Notification)
                .where(
                    Notification.id == note_id,
                    Notification.status == _PENDING,
                    Notification.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + timedelta(seconds=self.lease_s))
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return None
            return session.get(Notification, note_id)

    def _sent(self, note: Notification) -> None:
        attempt = note.attempts + 1
        self._settle(
            note,
            "notification.sent",
            "sent",
            status=NotificationStatus.SENT.value,
            attempts=attempt,
            sent_at=utcnow(),
            last_error=None,
        )
        log.info("notice %s of run %s sent (attempt %d)", note.id, note.run_id, attempt)

    def _failed(self, note: Notification, error: str) -> None:
        attempt = note.attempts + 1
        final = attempt >= self.max_attempts
        retry_at = utcnow() + timedelta(seconds=self.backoff_s * 2 ** (attempt - 1))
        fields: dict[str, Any] = {"attempts": attempt, "last_error": error}
        if final:
            fields["status"] = NotificationStatus.FAILED.value
        else:
            fields["next_attempt_at"] = retry_at
        outcome = "failed" if final else "retrying"
        self._settle(note, "notification.failed", outcome, error=error, final=final, **fields)
        log.warning(
            "notice %s of run %s: attempt %d failed (%s)%s",
            note.id,
            note.run_id,
            attempt,
            error,
            "; giving up" if final else f"; next try at {retry_at.isoformat()}",
        )

    def _settle(
        self,
        note: Notification,
        kind: str,
        outcome: str,
        error: str | None = None,
        final: bool = False,
        **fields: Any,
    ) -> None:
        """The row's new state and its audit record (never the body) in one transaction."""
        data: dict[str, Any] = {
            "notification_id": note.id,
            "audience": note.audience,
            "attempt": fields["attempts"],
        }
        if error is not None:
            data |= {"error": error, "final": final}
        with self.db.session() as session:
            session.execute(update(Notification).where(Notification.id == note.id).values(**fields))
            self.audit.record(
                session,
                AuditEvent(
                    type=kind,
                    actor="fixline",
                    customer=note.customer,
                    ticket_id=note.ticket_id,
                    run_id=note.run_id,
                    action=note.kind,
                    outcome=outcome,
                    data=data,
                ),
            )

    def _unconfigured(self) -> None:
        if not self._warned:
            self._warned = True
            log.warning("notifications stay pending: %s", UNCONFIGURED)
        unmarked = (Notification.status == _PENDING, Notification.last_error.is_(None))
        with self.db.session() as session:
            # Read first: this runs every heartbeat, and a write would lock SQLite each time.
            if session.scalars(select(Notification.id).where(*unmarked).limit(1)).first() is None:
                return
        with self.db.session() as session:
            session.execute(update(Notification).where(*unmarked).values(last_error=UNCONFIGURED))
