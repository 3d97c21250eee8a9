"""The approvals table: one row per run that waited for a second person's decision."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.types import JSONType, UTCDateTime


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    # The run was canceled while it waited: nobody decided.
    CANCELED = "canceled"


class Approval(Base):
    """Why a run waits, who asked, and who decided what."""

    __tablename__ = "approvals"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    customer: Mapped[str] = mapped_column(String(64))
    # [{"rule": "vip_user", "message": "..."}]: every rule the run matched.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    requested_by: Mapped[str] = mapped_column(String(128))
    # Who asked, and the person behind them: the decider's person must be another one.
    requester_id: Mapped[str] = mapped_column(String(160))
    requester_person: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_by_id: Mapped[str | None] = mapped_column(String(160), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The run's parameters with secrets in clear, AES-GCM sealed to "approval:<run_id>";
    # needed to start the run once approved, NULL as soon as it is decided or expired.
    sealed_params: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)

    __table_args__ = (Index("ix_approvals_status_expires", "status", "expires_at"),)
