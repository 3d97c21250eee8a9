"""Delivers pending notices over SMTP through the shared outbox loop (outbox/relay.py).

Every attempt is audited; a resend after a crash carries the same Message-ID (the row id)
for the receiver to drop.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from runner_api.audit.sink import AuditSink
from runner_api.database import Database
from runner_api.notify.compose import message_of
from runner_api.notify.models import Notification, NotificationStatus
from runner_api.notify.transport import MailTransport
from runner_api.outbox.relay import OutboxRelay, Retry

log = logging.getLogger(__name__)
UNCONFIGURED = "no SMTP server is configured (FIXLINE_SMTP_HOST): waiting"
_PENDING = NotificationStatus.PENDING.value


class Relay(OutboxRelay[Notification]):
    """The notification outbox's delivery side."""

    event = "notification"

    def __init__(
        self,
        db: Database,
        audit: AuditSink,
        transport: MailTransport | None,
        sender: str,
        retry: Retry,
    ) -> None:
        super().__init__(db, audit, Notification, retry)
        self.transport = transport
        self.sender = sender
        self._warned = False
        self._swept = False

    @property
    def waiting_reason(self) -> str | None:
        """Why new notices will wait (they are written with it), or None when they go out."""
        return UNCONFIGURED if self.transport is None else None

    def kick(self) -> None:
        # Without a server, one round at start marks what earlier processes left; notices of
        # this process are written marked. Rounds after that found nothing, on every run.
        if self.transport is None and self._swept:
            return
        super().kick()

    def deliver_due(self, now: datetime | None = None) -> int:
        if self.transport is None:
            self._unconfigured()
            self._swept = True
            return 0
        return super().deliver_due(now)

    def send(self, row: Notification) -> None:
        assert self.transport is not None
        self.transport.send(message_of(row, self.sender))

    def describe(self, row: Notification) -> tuple[str, dict[str, Any]]:
        return row.kind, {"audience": row.audience}

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
