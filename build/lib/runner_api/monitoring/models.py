"""The monitoring_incidents table: one open incident per (host, service) at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.types import UTCDateTime


class Incident(Base):
    """A HARD problem of a monitored service, its ticket and the one run it triggered."""

    __tablename__ = "monitoring_incidents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    service: Mapped[str] = mapped_column(String(255))
    # "host/service" while open, NULL once recovered: the unique constraint allows one open
    # incident per service (NULLs never collide), also between concurrent event handlers.
    open_key: Mapped[str | None] = mapped_column(String(512), unique=True, nullable=True)
    ticket_id: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
