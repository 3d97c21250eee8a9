"""Recompute the chain and check every checkpoint: name the first bad record.

Each record is checked on its own (its hash over its stored prev_hash and content) and
against its neighbour (prev_hash equals the hash before it, seq one more), so a change is
named where it was made:

- modified      a field (or the hash) no longer hashes to the stored hash;
- missing       a seq is absent (deleted; a gap);
- inserted      the record after it links past it to the one before;
- broken_link   prev_hash is not the hash before (e.g. reordered);
- truncated     the head, or a checkpoint, says the log went further than it does;
- rewritten     internally consistent, but unlike a signed checkpoint: re-hashed records
                between the last matching checkpoint and this one (only an external copy of
                the checkpoints proves this when the database checkpoints were rewritten too);
- bad_signature a checkpoint whose Ed25519 signature does not verify.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from runner_api.audit.canonical import GENESIS, canonical_record
from runner_api.audit.log import Checkpoint
from runner_api.audit.models import AuditCheckpoint, AuditHead, AuditRecord
from runner_api.audit.signing import CheckpointVerifier

_MAX_PROBLEMS = 100
_R = AuditRecord
_COLUMNS = (
    _R.seq, _R.ts, _R.type, _R.actor, _R.customer, _R.ticket_id, _R.run_id, _R.action,
    _R.target, _R.outcome, _R.data, _R.version, _R.prev_hash, _R.hash,
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    seq: int
    kind: str
    detail: str


@dataclass
class VerifyReport:
    """What `audit verify` found; ok only when nothing is wrong."""

    ok: bool = True
    records: int = 0
    head_seq: int = 0
    first_bad_seq: int | None = None
    bad_records: int = 0
    problems: list[Problem] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)
    checkpoints_checked: int = 0
    external_checkpoints: int = 0
    last_checkpoint_covered: int | None = None
    elapsed_s: float = 0.0

    def flag(self, seq: int, kind: str, detail: str) -> None:
        self.ok = False
        self.bad_records += 1
        if self.first_bad_seq is None or seq < self.first_bad_seq:
            self.first_bad_seq = seq
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(Problem(seq, kind, detail))


def verify_chain(
    connection: Connection,
    verifier: CheckpointVerifier | None,
    external: Sequence[Checkpoint] = (),
    batch: int = 50_000,
) -> VerifyReport:
    """Stream the records in seq order and check the chain, the head and the checkpoints."""
    started = time.perf_counter()
    report = VerifyReport(external_checkpoints=len(external))
    head = connection.execute(select(AuditHead.seq, AuditHead.hash)).first()
    report.head_seq = head_seq = int(head[0]) if head else 0
    stored = [
        Checkpoint(c.seq, c.hash, c.ts, c.reason, c.key_id, c.signature)
        for c in connection.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))
    ]
    checkpoints = _signed(report, verifier, [*stored, *external])
    last_match = 0  # seq of the last checkpoint the chain agreed with
    expected, prev, before_prev = 1, GENESIS, ""
    last_seq, clean = 0, True
    pending: tuple[int, int] | None = None  # a checkpoint mismatch not yet explained
    while True:
        rows: Sequence[Any] = connection.execute(
            select(*_COLUMNS)
            .where(_R.seq > last_seq, _R.seq <= head_seq)
            .order_by(_R.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            seq = row[0]
            canonical = canonical_record(*row[:12])
            try:
                digest = hashlib.sha256(bytes.fromhex(row[12]))
            except ValueError:
                digest = hashlib.sha256(b"not hex")
            digest.update(canonical)
            local_ok = digest.hexdigest() == row[13]
            inserted_at = 0
            if seq != expected:
                report.gaps.append((expected, seq - 1))
                report.flag(expected, "missing", f"records {expected}..{seq - 1} are missing")
                clean = False
            elif row[12] != prev:
                if before_prev and row[12] == before_prev and _moved_up(row):
                    inserted_at = seq - 1
                    report.flag(seq - 1, "inserted", f"record {seq} links past record {seq - 1}")
                else:
                    report.flag(seq, "broken_link", "prev_hash is not the hash before it")
                clean = False
            if not local_ok:
                report.flag(seq, "modified", "its content no longer hashes to its hash")
                clean = False
            if pending is not None:
                # A record slipped in at the checkpoint's seq explains the mismatch there.
                if inserted_at != pending[1]:
                    _rewritten(report, *pending)
                pending = None
            for checkpoint in checkpoints.get(seq, ()):
                report.checkpoints_checked += 1
                if checkpoint.hash == row[13]:
                    if clean:
                        report.last_checkpoint_covered = seq
                        last_match = seq
                elif local_ok:
                    pending = (last_match + 1, seq)
                    clean = False
            before_prev, prev, expected = prev, row[13], seq + 1
        last_seq = rows[-1][0]
        report.records += len(rows)
    if pending is not None:
        _rewritten(report, *pending)
    if head_seq > last_seq:
        report.gaps.append((last_seq + 1, head_seq))
        report.flag(last_seq + 1, "truncated", f"the head says {head_seq} records")
    beyond = [seq for seq in checkpoints if seq > last_seq]
    if beyond:
        report.flag(last_seq + 1, "truncated", f"a checkpoint covers seq {max(beyond)}")
    report.elapsed_s = time.perf_counter() - started
    return report


def _signed(
    report: VerifyReport, verifier: CheckpointVerifier | None, every: Sequence[Checkpoint]
) -> dict[int, list[Checkpoint]]:
    """Checkpoints by seq, keeping only those whose signature verifies (others flagged)."""
    by_seq: dict[int, list[Checkpoint]] = {}
    for checkpoint in every:
        if verifier is not None and not verifier.valid(
            checkpoint.seq, checkpoint.hash, checkpoint.ts, checkpoint.signature
        ):
            report.flag(checkpoint.seq, "bad_signature", "checkpoint signature does not verify")
            continue
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    return by_seq


def _moved_up(row: Any) -> bool:
    """True when the record hashes correctly one seq lower: something was slipped in before."""
    canonical = canonical_record(row[0] - 1, *row[1:12])
    try:
        digest = hashlib.sha256(bytes.fromhex(row[12]))
    except ValueError:
        return False
    digest.update(canonical)
    return bool(digest.hexdigest() == row[13])


def _rewritten(report: VerifyReport, first: int, checkpoint_seq: int) -> None:
    detail = f"records {first}..{checkpoint_seq} differ from the checkpoint at {checkpoint_seq}"
    report.flag(first, "rewritten", detail)
