"""The ticket_updates table: the write-back outbox, filled with the run's terminal status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.outbox.models import OutboxColumns
from runner_api.types import JSONType


class TicketUpdate(OutboxColumns, Base):
    """One comment (and optional status / custom-field change) for one ticket; no secret."""

    __tablename__ = "ticket_updates"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(64))
    system: Mapped[str] = mapped_column(String(16))
    customer: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    run_status: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text)
    new_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)

    __table_args__ = (
        Index("ix_ticket_updates_due", "status", "next_attempt_at"),
        Index("ix_ticket_updates_run", "run_id"),
    )
