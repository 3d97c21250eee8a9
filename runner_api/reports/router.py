"""The admins' and auditors' API under /audit: every route reads; none changes or deletes."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, StreamingResponse

from runner_api.auth.authorize import require_all_customers
from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.reports.html import EVIDENCE_CSP, evidence_html
from runner_api.reports.queries import RecordFilter, RunQuery
from runner_api.reports.reader import AuditReader
from runner_api.reports.schemas import (
    AuditRecordPage,
    AuditRecordRead,
    AuditRunPage,
    SlaRead,
    VerifyRead,
)
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service
from runner_api.runs.schemas import RunRead
from runner_api.runs.service import decode_cursor, encode_cursor
from runner_api.runs.status import RunStatus
from runner_api.types import MAX_INT64, UtcMoment

router = APIRouter(prefix="/audit", tags=["audit"])
AuditReaderDep = Annotated[AuditReader, service(AuditReader)]


def _auditor(caller: Annotated[Principal, Depends(require(Permission.AUDIT_READ))]) -> Principal:
    require_all_customers(caller, "the audit log")
    return caller


Auditor = Annotated[Principal, Depends(_auditor)]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or wrong token."},
    422: {"model": ErrorResponse, "description": "Invalid filter."},
}
Limit = Annotated[int, Query(ge=1, le=500)]
Since = Annotated[UtcMoment | None, Query(description="At or after this time.")]
Until = Annotated[UtcMoment | None, Query(description="Before this time.")]


class EvidenceFormat(StrEnum):
    JSON = "json"
    HTML = "html"


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


@router.get("/records", summary="Search audit records", responses=_ERRORS)
def list_records(
    reader: AuditReaderDep,
    _: Auditor,
    ticket_id: str | None = None,
    customer: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    action: str | None = None,
    type: str | None = None,
    outcome: str | None = None,
    run_id: str | None = None,
    since: Since = None,
    until: Until = None,
    after_seq: Annotated[
        int, Query(ge=0, le=MAX_INT64, description="next_after_seq of the last page")
    ] = 0,
    limit: Limit = 100,
) -> AuditRecordPage:
    """Audit records in seq order, filtered; paginated by seq."""
    filters = RecordFilter(
        ticket_id, customer, actor, target, action, type, outcome, run_id, since, until
    )
    rows = reader.records(filters, after_seq, limit + 1)
    more = len(rows) > limit
    items = [
        AuditRecordRead.model_validate({**r.__dict__, "data": json.loads(r.data)})
        for r in rows[:limit]
    ]
    return AuditRecordPage(items=items, next_after_seq=items[-1].seq if more else None)


@router.get("/runs", summary="Search runs", responses=_ERRORS)
def list_runs(
    reader: AuditReaderDep,
    _: Auditor,
    ticket_id: str | None = None,
    customer: str | None = None,
    agent: Annotated[str | None, Query(description="Who requested the run.")] = None,
    target: str | None = None,
    action: str | None = None,
    status: RunStatus | None = None,
    since: Since = None,
    until: Until = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> AuditRunPage:
    """Runs, newest first, by ticket, customer, agent, target, action, status and time."""
    filters = RunQuery(ticket_id, customer, agent, target, action, status, since, until)
    runs = reader.runs(filters, limit + 1, decode_cursor(cursor) if cursor else None)
    more = len(runs) > limit
    runs = runs[:limit]
    return AuditRunPage(
        items=[RunRead.model_validate(r) for r in runs],
        next_cursor=encode_cursor(runs[-1]) if more and runs else None,
    )


@router.get("/verify", summary="Verify the chain and the checkpoints", responses=_ERRORS)
def verify(reader: AuditReaderDep, _: Auditor) -> VerifyRead:
    """Recompute every hash, check every checkpoint signature; name the first bad record."""
    return VerifyRead.model_validate(asdict(reader.verify()))


@router.get(
    "/tickets/{ticket_id}/evidence",
    summary="Evidence pack of a ticket",
    responses={
        **_ERRORS,
        200: {"content": {"application/json": {}, "text/html": {}}, "description": "The pack."},
    },
    response_model=None,
)
def evidence(
    ticket_id: str,
    reader: AuditReaderDep,
    _: Auditor,
    format: EvidenceFormat = EvidenceFormat.JSON,
) -> dict[str, Any] | HTMLResponse:
    """Runs (inputs redacted), approvals, before/after, events, audit records, chain proof."""
    pack = reader.evidence(ticket_id)
    if format is EvidenceFormat.HTML:
        return HTMLResponse(evidence_html(pack), headers={"Content-Security-Policy": EVIDENCE_CSP})
    return pack


@router.get(
    "/export",
    summary="Export audit records (JSON lines or CSV)",
    responses={**_ERRORS, 200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
    response_class=StreamingResponse,
)
def export(
    reader: AuditReaderDep,
    _: Auditor,
    format: ExportFormat = ExportFormat.JSONL,
    ticket_id: str | None = None,
    customer: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: Since = None,
    until: Until = None,
) -> StreamingResponse:
    """Every matching record in seq order, streamed."""
    filters = RecordFilter(ticket_id, customer, actor, None, action, since=since, until=until)
    csv = format is ExportFormat.CSV
    media_type = "text/csv" if csv else "application/x-ndjson"
    return StreamingResponse(reader.export(filters, csv), media_type=media_type)


@router.get(
    "/checkpoints",
    summary="Signed checkpoints (JSON lines), to keep elsewhere",
    response_class=PlainTextResponse,
    responses=_ERRORS,
)
def checkpoints(
    reader: AuditReaderDep, _: Auditor, after_seq: Annotated[int, Query(ge=0, le=MAX_INT64)] = 0
) -> PlainTextResponse:
    lines = "".join(c.to_json() + "\n" for c in reader.checkpoints(after_seq))
    return PlainTextResponse(lines, media_type="application/x-ndjson")


@router.get(
    "/public-key",
    summary="The public key that verifies checkpoints (PEM)",
    response_class=PlainTextResponse,
    responses=_ERRORS,
)
def public_key(reader: AuditReaderDep, _: Auditor) -> PlainTextResponse:
    return PlainTextResponse(reader.public_key())


@router.get("/sla", summary="SLA figures per action and customer", responses=_ERRORS)
def sla(
    reader: AuditReaderDep, _: Auditor, since: Since = None, until: Until = None
) -> list[SlaRead]:
    """Count, success rate, p50/p95 time to fix (finished - created), refusals."""
    return reader.sla(since, until)
