"""Writes notices into the outbox with the run's success, and reads them back for admins.

The rows go in with the run's terminal transition (RunStore.transition's also_add), so a
run that succeeded always has its notices, and a crash before the commit leaves neither.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runner_api.database import Database
from runner_api.notify.compose import body_of, subject_of
from runner_api.notify.models import Audience, Notification, NotificationStatus
from runner_api.outbox.listing import newest
from runner_api.runs.context import Affected, Contact, Outcome
from runner_api.runs.models import Run
from runner_api.types import utcnow

log = logging.getLogger(__name__)
NO_ADDRESS = "no mail address on record for {name}: the notice cannot be delivered"


@dataclass(frozen=True)
class Notices:
    """What a run's end adds: the rows, and a summary for the run's (audited) details."""

    rows: list[Notification] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)


def notices_for(
    run: Run, outcome: Outcome, redact: Callable[[str], str], waiting: str | None = None
) -> Notices:
    """One row per person to tell about a successful change (nothing otherwise). `waiting`:
    why deliverable rows will wait (no mail server), kept as their last error."""
    affected = outcome.affected
    if affected is None or run.check_mode or not outcome.changed:
        return Notices()
    people = [(Audience.OWNER, affected.owner)]
    if affected.manager is not None:
        people.append((Audience.MANAGER, affected.manager))
    rows = [_row(run, affected, audience, contact, redact, waiting) for audience, contact in people]
    summary = [
        {"id": row.id, "to": row.audience, "status": row.status, "error": row.last_error}
        for row in rows
    ]
    for row in rows:
        if row.status == NotificationStatus.FAILED:
            log.warning("run %s: %s notice undeliverable: %s", run.id, row.audience, row.last_error)
    return Notices(rows, summary)


def _row(
    run: Run,
    affected: Affected,
    audience: Audience,
    contact: Contact,
    redact: Callable[[str], str],
    waiting: str | None,
) -> Notification:
    now = utcnow()
    undeliverable = contact.address is None
    return Notification(
        id=str(uuid.uuid4()),
        run_id=run.id,
        customer=run.customer,
        ticket_id=run.ticket_id,
        kind=run.action,
        audience=audience.value,
        recipients=[contact.address] if contact.address else [],
        # Built from non-secret fields only; redacted again in case a secret slipped in.
        subject=redact(subject_of(run, affected))[:255],
        body=redact(body_of(run, affected, audience, now)),
        status=(NotificationStatus.FAILED if undeliverable else NotificationStatus.PENDING).value,
        attempts=0,
        next_attempt_at=now,
        last_error=NO_ADDRESS.format(name=contact.name) if undeliverable else waiting,
        created_at=now,
    )


def list_notifications(
    db: Database, status: NotificationStatus | None, limit: int
) -> list[Notification]:
    """Newest first, optionally of one status."""
    return newest(db, Notification, status.value if status else None, limit)
