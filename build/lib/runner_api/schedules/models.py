"""The scheduled_runs table."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.types import JSONType, UTCDateTime


class ScheduleStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    STARTED = "started"
    FAILED = "failed"


class ScheduledRun(Base):
    """A run to start at due_at, bound to the ticket of the run that asked for it."""

    __tablename__ = "scheduled_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    parent_run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    customer: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    # Never secret values: follow-ups with secret parameters are refused.
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    requested_by: Mapped[str] = mapped_column(String(128))
    requester_id: Mapped[str] = mapped_column(String(160))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_scheduled_runs_due", "status", "due_at"),)
