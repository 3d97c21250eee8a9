"""The reveals table: sealed one-time secrets, wiped when read or expired."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.types import UTCDateTime


class Reveal(Base):
    __tablename__ = "reveals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    # Who may read it: the requester of the run (by principal id; the name is for people).
    requested_by: Mapped[str] = mapped_column(String(128))
    requester_id: Mapped[str] = mapped_column(String(160))
    # AES-GCM sealed secret bound to "reveal:<id>"; NULL once read or expired.
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # A file (a VPN profile) is downloaded under this name, never shown; None: text to show.
    filename: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When its requester was told it is ready: the hand-over window starts then. None: not
    # yet (a held run's requester may be gone); expires_at is then the longest wait.
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_reveals_expires", "expires_at"),)
