"""The evidence pack of one ticket: runs, events, before/after, audit records, chain proof.

The chain proof holds every record from the ticket's first record up to the nearest signed
checkpoint after its last one (their canonical encodings: the hash of record n depends on
the full content of n-1), so anyone with the public key can recompute the chain to the
signed head without access to the store. Records not yet covered by a checkpoint are
proven up to the current head, unsigned ("pending").
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner_api.audit.canonical import canonical_record, chain_hash
from runner_api.audit.models import AuditCheckpoint, AuditRecord
from runner_api.audit.signing import CheckpointVerifier
from runner_api.runs.models import Run, RunEvent
from runner_api.runs.schemas import RunEventRead, RunRead


def record_dict(record: AuditRecord) -> dict[str, Any]:
    """A record as exported: its columns, data parsed back to JSON, and its hashes."""
    return {
        "seq": record.seq,
        "ts": record.ts,
        "type": record.type,
        "actor": record.actor,
        "customer": record.customer,
        "ticket_id": record.ticket_id,
        "run_id": record.run_id,
        "action": record.action,
        "target": record.target,
        "outcome": record.outcome,
        "data": json.loads(record.data),
        "version": record.version,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


def canonical_of(record: AuditRecord) -> bytes:
    return canonical_record(
        record.seq, record.ts, record.type, record.actor, record.customer, record.ticket_id,
        record.run_id, record.action, record.target, record.outcome, record.data, record.version,
    )  # fmt: skip


def chain_proof(session: Session, first_seq: int, last_seq: int) -> dict[str, Any]:
    """Records first..c and the signed checkpoint c >= last (or up to the head, pending)."""
    checkpoint = session.scalars(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.seq >= last_seq)
        .order_by(AuditCheckpoint.seq, AuditCheckpoint.id)
        .limit(1)
    ).first()
    query = select(AuditRecord).where(AuditRecord.seq >= first_seq).order_by(AuditRecord.seq)
    if checkpoint is not None:
        query = query.where(AuditRecord.seq <= checkpoint.seq)
    chain = [
        {
            "seq": r.seq,
            "prev_hash": r.prev_hash,
            "canonical": canonical_of(r).decode(),
            "hash": r.hash,
        }
        for r in session.scalars(query)
    ]
    signed = None
    if checkpoint is not None:
        signed = {
            "seq": checkpoint.seq,
            "hash": checkpoint.hash,
            "ts": checkpoint.ts,
            "key_id": checkpoint.key_id,
            "signature": checkpoint.signature,
        }
    return {
        "algorithm": "hash_n = SHA-256(prev_hash_n (32 bytes) || canonical_n)",
        "from_seq": first_seq,
        "to_seq": chain[-1]["seq"] if chain else None,
        "records": chain,
        "checkpoint": signed,
        "pending": signed is None,
    }


APPROVAL = "approval."


def approval_steps(records: list[AuditRecord]) -> dict[str, list[dict[str, Any]]]:
    """run id -> each step of its approval (requested, approved, rejected, canceled, expired,
    denied) as the audit log recorded it: who, when, the outcome, the comment and reasons."""
    steps: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record.run_id is None or not record.type.startswith(APPROVAL):
            continue
        data = json.loads(record.data)
        steps.setdefault(record.run_id, []).append(
            {
                "step": record.type.removeprefix(APPROVAL),
                "by": record.actor,
                "at": record.ts,
                "status": record.outcome,
                "comment": data.get("comment"),
                "reasons": data.get("reasons") or [],
            }
        )
    return steps


def verify_proof(proof: dict[str, Any], verifier: CheckpointVerifier) -> bool:
    """Recompute the proof's chain and check it ends at the signed checkpoint."""
    records = proof["records"]
    if not records:
        return False
    prev = records[0]["prev_hash"]
    for expected_seq, entry in enumerate(records, start=records[0]["seq"]):
        if entry["seq"] != expected_seq or entry["prev_hash"] != prev:
            return False
        if chain_hash(prev, entry["canonical"].encode()) != entry["hash"]:
            return False
        prev = entry["hash"]
    signed = proof["checkpoint"]
    if signed is None:
        return False
    return bool(
        signed["seq"] == records[-1]["seq"]
        and signed["hash"] == prev
        and verifier.valid(signed["seq"], signed["hash"], signed["ts"], signed["signature"])
    )


def evidence_pack(session: Session, ticket_id: str, verifier: CheckpointVerifier) -> dict[str, Any]:
    """Everything recorded about one ticket, with the proof that the records are untouched."""
    runs = list(
        session.scalars(select(Run).where(Run.ticket_id == ticket_id).order_by(Run.created_at))
    )
    records = list(
        session.scalars(
            select(AuditRecord).where(AuditRecord.ticket_id == ticket_id).order_by(AuditRecord.seq)
        )
    )
    steps = approval_steps(records)
    run_items = []
    for run in runs:
        events = session.scalars(
            select(RunEvent).where(RunEvent.run_id == run.id).order_by(RunEvent.seq)
        )
        run_items.append(
            {
                "run": RunRead.model_validate(run).model_dump(mode="json"),
                "inputs": run.params,  # secret values were masked before storage
                # From the chained audit records, as the proof below covers them.
                "approvals": steps.get(run.id, []),
                # The reset's own parameter (method and note), as the run was asked for it.
                "caller_verification": run.params.get("caller_verification"),
                "before_after": run.diff,
                "events": [RunEventRead.model_validate(e).model_dump(mode="json") for e in events],
            }
        )
    proof = chain_proof(session, records[0].seq, records[-1].seq) if records else None
    return {
        "ticket_id": ticket_id,
        "runs": run_items,
        "audit_records": [record_dict(r) for r in records],
        "chain_proof": proof,
        "proof_verified": verify_proof(proof, verifier) if proof else False,
        "public_key_id": verifier.key_id,
    }
