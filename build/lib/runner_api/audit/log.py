"""The audit log writer: one serialized, hash-chained append per event; signed checkpoints.

Serialization: every append first moves the one-row `audit_head` (seq + 1) with an UPDATE,
so writers queue on that row's lock (PostgreSQL) or on the database write lock (SQLite),
across threads and processes alike. The UPDATE is the first statement of the append, so a
SQLite transaction never upgrades a stale read snapshot to a write (no busy-snapshot error).
Because seq comes from the head inside the caller's transaction, a rollback takes the seq
back with it: seq stays gapless.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import Connection, Integer, String, insert, select, text, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from runner_api import __version__
from runner_api.audit.canonical import (
    TS_FORMAT,
    canonical_json,
    canonical_record,
    chain_hash,
    format_ts,
    neutralize,
    neutralize_value,
)
from runner_api.audit.errors import AuditUnavailableError
from runner_api.audit.models import AuditCheckpoint, AuditHead
from runner_api.audit.signing import CheckpointSigner
from runner_api.audit.sink import AuditEvent
from runner_api.database import Database
from runner_api.prepared import Prepared
from runner_api.types import utcnow

_TAKE_NEXT = Prepared(
    text(
        "UPDATE audit_head SET seq = seq + :n WHERE id = 1 "
        "RETURNING seq, hash, checkpoint_seq, checkpoint_ts"
    ).columns(seq=Integer, hash=String, checkpoint_seq=Integer, checkpoint_ts=String)
)
_LOCK_HEAD = text(
    "UPDATE audit_head SET seq = seq WHERE id = 1 "
    "RETURNING seq, hash, checkpoint_seq, checkpoint_ts"
)
_INSERT = Prepared(
    text(
        "INSERT INTO audit_records (seq, ts, type, actor, customer, ticket_id, run_id, "
        "action, target, outcome, data, version, prev_hash, hash) VALUES (:seq, :ts, :type, "
        ":actor, :customer, :ticket_id, :run_id, :action, :target, :outcome, :data, "
        ":version, :prev_hash, :hash)"
    )
)
_SET_HASH = Prepared(text("UPDATE audit_head SET hash = :hash WHERE id = 1"))
_SET_HEAD = Prepared(
    text(
        "UPDATE audit_head SET hash = :hash, checkpoint_seq = :checkpoint_seq, "
        "checkpoint_ts = :checkpoint_ts WHERE id = 1"
    )
)
_RETRIES = 5
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checkpoint:
    """A signed (seq, hash, ts); exported as one JSON line to be kept elsewhere."""

    seq: int
    hash: str
    ts: str
    reason: str
    key_id: str
    signature: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Checkpoint:
        raw = json.loads(line)
        return cls(
            seq=int(raw["seq"]),
            hash=str(raw["hash"]),
            ts=str(raw["ts"]),
            reason=str(raw.get("reason", "")),
            key_id=str(raw.get("key_id", "")),
            signature=str(raw["signature"]),
        )


def parse_ts(ts: str) -> datetime:
    return datetime.strptime(ts, TS_FORMAT).replace(tzinfo=UTC)


def read_checkpoints(lines: Iterable[str]) -> list[Checkpoint]:
    """Checkpoints from an exported JSONL file (blank lines skipped)."""
    return [Checkpoint.from_json(line) for line in lines if line.strip()]


class AuditLog:
    """Appends audit records (the AuditSink of the whole service) and signs checkpoints."""

    def __init__(
        self,
        db: Database,
        signer: CheckpointSigner,
        *,
        checkpoint_records: int = 1000,
        checkpoint_every_s: float = 3600.0,
        version: str = __version__,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.signer = signer
        self.checkpoint_records = checkpoint_records
        self.checkpoint_every_s = checkpoint_every_s
        self.version = version
        self.clock = clock
        self._last_checkpoint_ts: tuple[str, datetime] | None = None

    def record(self, session: Session | Connection, *events: AuditEvent) -> None:
        """Append within the caller's transaction; AuditUnavailableError aborts it.

        Several events take one turn at the head: the statements of one append, not one
        append each (a run recorded running at once has two records, on every run's way)."""
        if not events:
            return
        try:
            self._append(session, events)
        except SQLAlchemyError as exc:
            raise AuditUnavailableError(
                "the audit log cannot be written, so nothing was done", event=events[0].type
            ) from exc

    def append(self, event: AuditEvent) -> int:
        """Append in a transaction of its own (retried while SQLite is busy); the seq."""
        for attempt in range(_RETRIES):
            try:
                with self.db.session() as session:
                    return self._append(session, (event,))
            except OperationalError as exc:
                if attempt == _RETRIES - 1 or not _busy(exc):
                    raise AuditUnavailableError(
                        "the audit log cannot be written", event=event.type
                    ) from exc
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _append(self, session: Session | Connection, events: Sequence[AuditEvent]) -> int:
        """Chain `events` onto the head; the seq of the last."""
        connection = session.connection() if isinstance(session, Session) else session
        head = _TAKE_NEXT.first(connection, {"n": len(events)})
        if head is None:
            raise AuditUnavailableError("the audit log has no head row (not migrated?)")
        last, prev_hash = head["seq"], head["hash"]
        checkpoint_seq, checkpoint_ts = head["checkpoint_seq"], head["checkpoint_ts"]
        now = self.clock()
        ts = format_ts(now)
        rows: list[dict[str, Any]] = []
        for seq, event in enumerate(events, start=last - len(events) + 1):
            values: dict[str, Any] = {
                "seq": seq,
                "ts": ts,
                "type": neutralize(event.type),
                "actor": neutralize(event.actor),
                "customer": _clean(event.customer),
                "ticket_id": _clean(event.ticket_id),
                "run_id": _clean(event.run_id),
                "action": _clean(event.action),
                "target": _clean(event.target),
                "outcome": _clean(event.outcome),
                "data": canonical_json(neutralize_value(_data(event))),
                "version": self.version,
                "prev_hash": prev_hash,
            }
            values["hash"] = prev_hash = chain_hash(prev_hash, _canonical_of(values))
            rows.append(values)
        # Prepared statements with bound values: the append is on every run's hot path.
        _INSERT.execute_many(connection, rows)
        due = last - checkpoint_seq >= self.checkpoint_records or (
            (now - self._parsed(checkpoint_ts)).total_seconds() >= self.checkpoint_every_s
        )
        if due:
            signed = self._sign(connection, last, prev_hash, "interval")
            _SET_HEAD.execute(connection, {"hash": prev_hash, **signed})
        else:
            _SET_HASH.execute(connection, {"hash": prev_hash})
        return int(last)

    def _parsed(self, ts: str) -> datetime:
        # The head's checkpoint time changes once per checkpoint, not per append: parsing it
        # (strptime) on every append of every run was measurable.
        last = self._last_checkpoint_ts
        if last is None or last[0] != ts:
            last = self._last_checkpoint_ts = (ts, parse_ts(ts))
        return last[1]

    def _sign(
        self, session: Session | Connection, seq: int, hash_: str, reason: str
    ) -> dict[str, Any]:
        ts = format_ts(self.clock())
        session.execute(
            insert(AuditCheckpoint).values(
                seq=seq,
                hash=hash_,
                ts=ts,
                reason=reason,
                key_id=self.signer.key_id,
                signature=self.signer.sign(seq, hash_, ts),
            )
        )
        return {"checkpoint_seq": seq, "checkpoint_ts": ts}

    def checkpoint(self, reason: str = "manual", *, force: bool = True) -> Checkpoint | None:
        """Sign the current head now; None when the log is empty (or unchanged, unforced)."""
        with self.db.session() as session:
            seq, hash_, checkpoint_seq, _ = session.execute(_LOCK_HEAD).one()
            if seq == 0 or (not force and seq == checkpoint_seq):
                return None
            head = self._sign(session, seq, hash_, reason)
            session.execute(update(AuditHead).where(AuditHead.id == 1).values(**head))
        return self.checkpoints(after_seq=seq - 1)[-1]

    def checkpoint_if_due(self) -> None:
        """A chore: sign records older than the interval that no later append covered."""
        with self.db.session() as session:
            head = session.get(AuditHead, 1)
            if head is None or head.seq == head.checkpoint_seq:
                return
            age = (self.clock() - parse_ts(head.checkpoint_ts)).total_seconds()
        if age >= self.checkpoint_every_s:
            self.checkpoint("interval", force=False)

    def checkpoint_at_shutdown(self) -> None:
        """Sign what is not signed yet; a failure is logged, it must not block the stop."""
        try:
            self.checkpoint("shutdown", force=False)
        except SQLAlchemyError as exc:
            log.error("no shutdown checkpoint of the audit log: %s", type(exc).__name__)

    def checkpoints(self, after_seq: int = 0) -> list[Checkpoint]:
        """Checkpoints stored in the database, oldest first."""
        query = (
            select(AuditCheckpoint)
            .where(AuditCheckpoint.seq > after_seq)
            .order_by(AuditCheckpoint.seq, AuditCheckpoint.id)
        )
        with self.db.session() as session:
            return [_checkpoint(row) for row in session.scalars(query)]

    def export_checkpoints(self, out: TextIO, after_seq: int = 0) -> int:
        """Write checkpoints as JSON lines (to ship to another system); how many."""
        found = self.checkpoints(after_seq)
        for checkpoint in found:
            out.write(checkpoint.to_json() + "\n")
        return len(found)


def _data(event: AuditEvent) -> dict[str, Any]:
    if event.actor_id is None:
        return event.data
    return {**event.data, "actor_id": event.actor_id}


def _clean(value: str | None) -> str | None:
    return None if value is None else neutralize(value)


def _canonical_of(values: dict[str, Any]) -> bytes:
    return canonical_record(
        values["seq"],
        values["ts"],
        values["type"],
        values["actor"],
        values["customer"],
        values["ticket_id"],
        values["run_id"],
        values["action"],
        values["target"],
        values["outcome"],
        values["data"],
        values["version"],
    )


def _checkpoint(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(row.seq, row.hash, row.ts, row.reason, row.key_id, row.signature)


def _busy(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return "locked" in message or "busy" in message
