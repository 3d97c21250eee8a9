"""site_jobs: what a queued site run needs to start, sealed, until the run has ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.types import UTCDateTime


class SiteJob(Base):
    """One run queued for a site's workers."""

    __tablename__ = "site_jobs"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    # The validated parameters with secrets in clear, AES-GCM sealed to "site-job:<run_id>".
    # The worker gets them with its claim; the API keeps them until the run's end to redact
    # what the worker reports. The row goes with the run's end.
    sealed_params: Mapped[bytes] = mapped_column(LargeBinary)
    approved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The last publish attempt; the sweep publishes again what no worker claimed since.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_site_jobs_published", "published_at"),)
