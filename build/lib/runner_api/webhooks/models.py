"""The webhook_deliveries table: one row per (source, delivery key), under a unique constraint,
and one per (source, signed timestamp, body): the same signed bytes under another key are a
replay, whatever the key.

A row is also the durable queue entry of an accepted delivery: it keeps what to start until
the starter has started it (webhooks/starter.py).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.types import JSONType, UTCDateTime


class DeliveryStatus(StrEnum):
    """Where a delivery is; the stored text of webhook_deliveries.status."""

    HANDLING = "handling"  # handled inside its request (monitoring events); no answer yet
    ACCEPTED = "accepted"  # answered 202 with a run id; the run is not started yet
    STARTED = "started"  # its run was started under the id the sender got
    HANDLED = "handled"  # handled inside its request, answer stored
    REFUSED = "refused"  # answered 4xx, or its run was refused when it was started


class WebhookDelivery(Base):
    """A delivery we accepted or refused; replays with its key get the stored answer."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    # The sender's Idempotency-Key (or delivery id): the unique part of a replay.
    key: Mapped[str] = mapped_column(String(128))
    # SHA-256 of the raw body: the same key with another body is an idempotency error.
    body_sha256: Mapped[str] = mapped_column(String(64))
    # The signed X-Fixline-Timestamp: with source and body unique, so a second delivery of
    # the same signed bytes under another key is refused, in every process. NULL on the row
    # that records such a refusal (and on rows older than 0012).
    sent_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The signature scheme it came with (v2, or v1 from a source that still accepts it).
    scheme: Mapped[str | None] = mapped_column(String(8), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    # The HTTP status and body every copy of this delivery is answered with (None while
    # HANDLING).
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # Why it was refused (an error message, never the body).
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Assigned when accepted: the run is started later under this id.
    run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # While ACCEPTED: the run request with secret values masked, and its parameters (secrets
    # in clear) sealed to this row. Both are wiped once the run is started or refused.
    request: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    sealed_params: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("source", "key", name="uq_webhook_deliveries_key"),
        UniqueConstraint("source", "sent_at", "body_sha256", name="uq_webhook_deliveries_sent"),
        Index("ix_webhook_deliveries_created", "created_at"),
        # The starter's sweep: accepted rows, oldest first.
        Index("ix_webhook_deliveries_status", "status", "created_at"),
    )
