"""The webhook_deliveries table: one row per (source, delivery key), under a unique constraint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.types import JSONType, UTCDateTime


class WebhookDelivery(Base):
    """A delivery we accepted or refused; replays with its key get the stored answer."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    # The sender's Idempotency-Key (or delivery id): the unique part of a replay.
    key: Mapped[str] = mapped_column(String(128))
    # SHA-256 of the raw body: the same key with another body is an idempotency error.
    body_sha256: Mapped[str] = mapped_column(String(64))
    # None while the first copy is being handled; then the HTTP status it got.
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("source", "key", name="uq_webhook_deliveries_key"),
        Index("ix_webhook_deliveries_created", "created_at"),
    )
