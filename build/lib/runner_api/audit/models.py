"""Tables of the audit log: records (append-only), the one-row head, signed checkpoints."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runner_api.database import Base

RECORDS, HEAD, CHECKPOINTS = "audit_records", "audit_head", "audit_checkpoints"


class AuditRecord(Base):
    """One security-relevant event, chained to the one before by its hash."""

    __tablename__ = RECORDS

    # On SQLite an INTEGER PRIMARY KEY is the rowid: records lie in seq order on disk.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    ts: Mapped[str] = mapped_column(String(27))  # fixed-width UTC text: sorts as time does
    type: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(Text)
    customer: Mapped[str | None] = mapped_column(Text, nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str | None] = mapped_column(Text, nullable=True)
    target: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Canonical JSON text, hashed as stored (a JSON column could re-order or re-format it).
    data: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(32))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_records_ticket", "ticket_id", "seq"),
        Index("ix_audit_records_run", "run_id"),
        Index("ix_audit_records_customer_ts", "customer", "ts"),
        Index("ix_audit_records_actor_ts", "actor", "ts"),
        Index("ix_audit_records_type_ts", "type", "ts"),
        Index("ix_audit_records_ts", "ts"),
    )


class AuditHead(Base):
    """The single writer's token: every append locks and moves this one row first."""

    __tablename__ = HEAD

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    checkpoint_seq: Mapped[int] = mapped_column(BigInteger)
    checkpoint_ts: Mapped[str] = mapped_column(String(27))


class AuditCheckpoint(Base):
    """A signed statement "the log had seq records, the last hashing to hash, at ts"."""

    __tablename__ = CHECKPOINTS

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(27))
    reason: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(128))  # base64 Ed25519 signature

    __table_args__ = (Index("ix_audit_checkpoints_seq", "seq"),)
