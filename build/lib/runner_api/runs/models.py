"""Tables of the run spine: runs, their ordered events, and per-target locks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.types import JSONType, UTCDateTime


class Run(Base):
    """One execution of a vetted action, bound to a ticket."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    # Secret values are replaced by a mask before a row is ever written.
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    check_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str] = mapped_column(String(128))
    # The requester's principal id (auth/principal.py): what ownership and reveals bind to;
    # requested_by is its name, for people to read.
    requester_id: Mapped[str] = mapped_column(String(160))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    changed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    diff: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    versions: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    timeout_s: Mapped[int] = mapped_column(Integer)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # Which process runs it ("host:pid") and when it last said so; used to find runs
    # orphaned by a crash.
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # While queued: what another process needs to build its Job again after this one
    # stopped (parameters with secrets in clear, who approved it), AES-GCM sealed to
    # "run:<id>:job" (runs/queued.py); NULL from its move to running or to an end.
    sealed_job: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)

    __table_args__ = (
        Index("ix_runs_ticket_id", "ticket_id"),
        Index("ix_runs_customer_created", "customer", "created_at"),
        Index("ix_runs_status", "status"),
        Index("ix_runs_action_created", "action", "created_at"),
        Index("ix_runs_created", "created_at"),
        # Rate limits (runs/limits.py) count recent runs per requester and per target.
        Index("ix_runs_requester_created", "requester_id", "created_at"),
        Index("ix_runs_target_created", "customer", "target", "created_at"),
    )


class RunEvent(Base):
    """One redacted progress event of a run, numbered from 1 in order."""

    __tablename__ = "run_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    task: Mapped[str | None] = mapped_column(String(255), nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (UniqueConstraint("run_id", "seq", name="uq_run_events_run_seq"),)


class TargetLock(Base):
    """Held while a run works on a target, so two runs never touch one target at once."""

    __tablename__ = "target_locks"

    target: Mapped[str] = mapped_column(String(330), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RateLimitClear(Base):
    """An admin's clear of a rate limit: its scope counts only runs created after it."""

    __tablename__ = "rate_limit_clears"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The limit: requester, target or action (runs/limits.py); a target clear with a requester
    # clears only that requester's share of the target.
    kind: Mapped[str] = mapped_column(String(16))
    customer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target: Mapped[str | None] = mapped_column(String(255), nullable=True)
    requester: Mapped[str | None] = mapped_column(String(160), nullable=True)
    action: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cleared_by: Mapped[str] = mapped_column(String(128))
    cleared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_rate_limit_clears_cleared_at", "cleared_at"),)
