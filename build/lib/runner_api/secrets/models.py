"""The credentials table (one row per sealed field) and the key check value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base
from runner_api.types import UTCDateTime


class StoredField(Base):
    """One field of one credential, AES-GCM sealed to `credential:<customer>:<kind>:<field>`.

    Every field is sealed, user names and pinned host keys included: a dump then tells
    nothing about which accounts hold which rights, and the tag makes a swapped known_hosts
    or CA pin (an attacker writing to the database) fail instead of being trusted.
    """

    __tablename__ = "credentials"

    customer: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    # Which key sealed it (a fingerprint, not the key): names the key a restore needs.
    key_id: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(128))


class KeyCheck(Base):
    """A known plaintext sealed with the current key: start-up proves it has the right key."""

    __tablename__ = "secret_key_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key_id: Mapped[str] = mapped_column(String(16))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
