"""API shapes of the audit log (read-only)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from runner_api.runs.schemas import RunRead


class AuditRecordRead(BaseModel):
    """One audit record with its place in the chain."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    ts: str
    type: str
    actor: str
    customer: str | None
    ticket_id: str | None
    run_id: str | None
    action: str | None
    target: str | None
    outcome: str | None
    data: dict[str, Any]
    version: str
    prev_hash: str
    hash: str


class AuditRecordPage(BaseModel):
    """Records in seq order; pass next_after_seq as after_seq for the next page."""

    items: list[AuditRecordRead]
    next_after_seq: int | None


class AuditRunPage(BaseModel):
    items: list[RunRead]
    next_cursor: str | None


class ProblemRead(BaseModel):
    seq: int
    kind: str
    detail: str


class VerifyRead(BaseModel):
    """Result of recomputing the chain and checking the checkpoints."""

    ok: bool
    records: int
    head_seq: int
    first_bad_seq: int | None
    bad_records: int
    problems: list[ProblemRead]
    gaps: list[tuple[int, int]]
    checkpoints_checked: int
    external_checkpoints: int
    last_checkpoint_covered: int | None
    elapsed_s: float


class SlaRead(BaseModel):
    action: str
    customer: str
    count: int
    succeeded: int
    ended: int
    refusals: int
    success_rate: float | None
    p50_time_to_fix_s: float | None
    p95_time_to_fix_s: float | None
