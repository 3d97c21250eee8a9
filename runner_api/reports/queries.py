"""Read-only searches for admins and auditors: audit records, runs, SLA figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from runner_api.audit.canonical import format_ts
from runner_api.audit.models import AuditRecord
from runner_api.reports.schemas import SlaRead
from runner_api.runs.models import Run
from runner_api.runs.status import RunStatus


@dataclass(frozen=True)
class RecordFilter:
    """Every field narrows the search; None means any."""

    ticket_id: str | None = None
    customer: str | None = None
    actor: str | None = None
    target: str | None = None
    action: str | None = None
    type: str | None = None
    outcome: str | None = None
    run_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class RunQuery:
    ticket_id: str | None = None
    customer: str | None = None
    requested_by: str | None = None
    target: str | None = None
    action: str | None = None
    status: RunStatus | None = None
    since: datetime | None = None
    until: datetime | None = None


def record_query(filters: RecordFilter, after_seq: int = 0) -> Select[AuditRecord]:
    """Records in seq order after a seq (the keyset cursor)."""
    query = select(AuditRecord).where(AuditRecord.seq > after_seq)
    for column, value in (
        (AuditRecord.ticket_id, filters.ticket_id),
        (AuditRecord.customer, filters.customer),
        (AuditRecord.actor, filters.actor),
        (AuditRecord.target, filters.target),
        (AuditRecord.action, filters.action),
        (AuditRecord.type, filters.type),
        (AuditRecord.outcome, filters.outcome),
        (AuditRecord.run_id, filters.run_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.since is not None:
        query = query.where(AuditRecord.ts >= format_ts(filters.since))
    if filters.until is not None:
        query = query.where(AuditRecord.ts < format_ts(filters.until))
    return query.order_by(AuditRecord.seq)


def search_records(
    session: Session, filters: RecordFilter, after_seq: int, limit: int
) -> list[AuditRecord]:
    return list(session.scalars(record_query(filters, after_seq).limit(limit)))


def run_query(filters: RunQuery) -> Select[Run]:
    """Runs, newest first."""
    query = select(Run)
    for column, value in (
        (Run.ticket_id, filters.ticket_id),
        (Run.customer, filters.customer),
        (Run.requested_by, filters.requested_by),
        (Run.target, filters.target),
        (Run.action, filters.action),
        (Run.status, filters.status.value if filters.status else None),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.since is not None:
        query = query.where(Run.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(Run.created_at < filters.until)
    return query.order_by(Run.created_at.desc(), Run.id.desc())


def search_runs(
    session: Session, filters: RunQuery, limit: int, cursor: tuple[datetime, str] | None
) -> list[Run]:
    query = run_query(filters)
    if cursor is not None:
        created, run_id = cursor
        query = query.where(
            (Run.created_at < created) | ((Run.created_at == created) & (Run.id < run_id))
        )
    return list(session.scalars(query.limit(limit)))


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * fraction // 1))
    return sorted_values[int(rank) - 1]


def sla_figures(session: Session, since: datetime | None, until: datetime | None) -> list[SlaRead]:
    """Count, success rate, p50/p95 time to fix (finished - created, succeeded runs), refusals."""
    query = select(Run.action, Run.customer, Run.status, Run.created_at, Run.finished_at)
    if since is not None:
        query = query.where(Run.created_at >= since)
    if until is not None:
        query = query.where(Run.created_at < until)
    groups: dict[tuple[str, str], list[tuple[str, float | None]]] = {}
    for action, customer, status, created, finished in session.execute(query):
        took = (finished - created).total_seconds() if finished is not None else None
        groups.setdefault((action, customer), []).append((status, took))
    figures = []
    for (action, customer), runs in sorted(groups.items()):
        fixes = sorted(t for s, t in runs if s == RunStatus.SUCCEEDED and t is not None)
        refusals = sum(1 for s, _ in runs if s == RunStatus.REFUSED)
        # Refused and rejected runs never ran: they are no failed fixes.
        never_ran = (RunStatus.REFUSED, RunStatus.REJECTED)
        ended = sum(1 for s, _ in runs if RunStatus(s).terminal and s not in never_ran)
        succeeded = sum(1 for s, _ in runs if s == RunStatus.SUCCEEDED)
        figures.append(
            SlaRead(
                action=action,
                customer=customer,
                count=len(runs),
                succeeded=succeeded,
                ended=ended,
                refusals=refusals,
                success_rate=round(succeeded / ended, 4) if ended else None,
                p50_time_to_fix_s=percentile(fixes, 0.50),
                p95_time_to_fix_s=percentile(fixes, 0.95),
            )
        )
    return figures
