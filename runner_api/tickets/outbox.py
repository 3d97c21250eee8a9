"""Ticket updates written with the run's terminal status, and read back for admins.

The rows go in with the run's terminal transition (JobRunner's also_add), so a run that
ended always has its write-back queued, and a crash before the commit leaves neither.
Only runs a webhook source asked for (requested_by "webhook:<source>") are written back.
"""

from __future__ import annotations

import uuid
from string import Template

from runner_api.database import Base, Database
from runner_api.outbox.listing import newest
from runner_api.outbox.models import OutboxStatus
from runner_api.runs.context import Outcome
from runner_api.runs.service import Job
from runner_api.runs.status import RunStatus
from runner_api.tickets.compose import comment_of
from runner_api.tickets.models import TicketUpdate
from runner_api.types import utcnow
from runner_api.webhooks.sources import REQUESTER_PREFIX, Sources, TicketSystemKind


class WriteBack:
    """Builds the outbox rows of a run's end from the sources' write-back settings."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources

    def rows_for(self, job: Job, status: RunStatus, outcome: Outcome) -> list[Base]:
        """One update for the run's ticket when its source writes back; else nothing."""
        if not job.requested_by.startswith(REQUESTER_PREFIX):
            return []
        name = job.requested_by.removeprefix(REQUESTER_PREFIX)
        source = self.sources.find(name)
        if source is None or source.ticket_system is TicketSystemKind.NONE:
            return []
        comment = comment_of(
            run_id=job.run_id,
            action=job.action.name,
            target=job.target,
            status=status,
            changed=outcome.changed,
            summary=outcome.summary,
            error=outcome.error,
            diff=job.redactor.data(dict(outcome.diff)) if outcome.diff is not None else None,
            details=outcome.details,
            check_mode=job.check_mode,
            redact=job.redactor.text,
        )
        succeeded = status is RunStatus.SUCCEEDED and not job.check_mode
        now = utcnow()
        return [
            TicketUpdate(
                id=str(uuid.uuid4()),
                run_id=job.run_id,
                source=name,
                system=source.ticket_system.value,
                customer=job.customer.name,
                ticket_id=job.ticket_id,
                action=job.action.name,
                run_status=status.value,
                comment=comment,
                new_status=source.status_on_success if succeeded else None,
                fields={
                    name: Template(text).substitute(
                        run_id=job.run_id, status=status.value, action=job.action.name
                    )
                    for name, text in source.custom_fields.items()
                },
                status=OutboxStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        ]


def list_updates(db: Database, status: OutboxStatus | None, limit: int) -> list[TicketUpdate]:
    """Newest first, optionally of one status."""
    return newest(db, TicketUpdate, status.value if status else None, limit)
