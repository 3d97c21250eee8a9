"""The notifications table: an outbox of mails written with the run that caused them."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.outbox.models import OutboxColumns
from runner_api.types import JSONType


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Audience(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    # The agent who asked for a held run, told of the decision.
    REQUESTER = "requester"


class Notification(OutboxColumns, Base):
    """One mail to one person about one run; never holds a secret."""

    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    customer: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str] = mapped_column(String(64))
    # The action that caused it (password_reset, account_unlock, group_add), or the
    # decision on a held run (approval.approved, approval.rejected, approval.expired).
    kind: Mapped[str] = mapped_column(String(64))
    audience: Mapped[str] = mapped_column(String(16))
    # Mail addresses; empty when none is on record (then the row is failed from the start).
    recipients: Mapped[list[str]] = mapped_column(JSONType)
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_run", "run_id"),
    )
