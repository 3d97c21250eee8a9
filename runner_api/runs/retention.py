"""Retention: run events older than the policy may go; audit records never do.

The prune and its `retention.pruned` record commit together, and a checkpoint is signed right
after, so the chain visibly continues across the prune.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from runner_api.audit.canonical import format_ts
from runner_api.audit.log import AuditLog, Checkpoint
from runner_api.audit.sink import AuditEvent
from runner_api.runs.models import RunEvent
from runner_api.types import utcnow


@dataclass(frozen=True)
class PruneResult:
    pruned: int
    cutoff: datetime
    checkpoint: Checkpoint | None


def prune_run_events(
    audit: AuditLog, retention_days: int, actor: str, now: datetime | None = None
) -> PruneResult:
    """Delete run events created before now - retention_days; audited, then checkpointed."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    with audit.db.session() as session:
        result = session.execute(delete(RunEvent).where(RunEvent.created_at < cutoff))
        pruned = int(result.rowcount)  # type: ignore[attr-defined]
        audit.record(
            session,
            AuditEvent(
                type="retention.pruned",
                actor=actor,
                outcome="pruned",
                data={
                    "table": "run_events",
                    "rows": pruned,
                    "cutoff": format_ts(cutoff),
                    "retention_days": retention_days,
                },
            ),
        )
    return PruneResult(pruned, cutoff, audit.checkpoint("retention"))
