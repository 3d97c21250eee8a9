"""The columns and shapes every outbox table shares (the relay's side of a row)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.types import UTCDateTime


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxColumns:
    """Mixin of an outbox table: delivery state, kept by outbox.relay."""

    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the relay may try (again); also pushed forward while one relay holds the row.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OutboxRowRead(BaseModel):
    """What admins see of any outbox row's delivery."""

    model_config = ConfigDict(from_attributes=True)

    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
