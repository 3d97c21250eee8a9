"""Tables of authentication: API tokens (hashed) and agents' server-side web sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.types import JSONType, UTCDateTime


class ApiToken(Base):
    """An integration's bearer token. Only the SHA-256 of the token is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    # None: every customer (only for roles that see every customer anyway).
    customers: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    # None: every action the role allows.
    actions: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    created_by: Mapped[str] = mapped_column(String(128))
    # The creator's principal id, and the person behind it: a token acts for the person
    # who made it, so the two-person rule sees through it (auth/principal.py).
    created_by_id: Mapped[str] = mapped_column(String(160))
    person: Mapped[str] = mapped_column(String(160))
    # The break-glass admin token of settings (FIXLINE_BOOTSTRAP_TOKEN), kept like any other.
    bootstrap: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        # Names are how people tell tokens apart: unique among tokens not revoked (an
        # expired one is revoked when its name is taken again: tokens.py).
        Index(
            "uq_api_tokens_live_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )


class WebSession(Base):
    """An agent's login in the web page; the cookie holds a token, the row its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(128))
    # The account's objectGUID: its identity (a name can be given to someone else later).
    user_guid: Mapped[str] = mapped_column(String(64))
    user_dn: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    # The directory's `mail` at login: where notices of decisions on the agent's runs go.
    mail: Mapped[str | None] = mapped_column(String(255), nullable=True)
    roles: Mapped[list[str]] = mapped_column(JSONType)
    customers: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Roles are read again from the directory when this is older than the role TTL.
    roles_checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_web_sessions_username", "username"),)
