"""Which runs a listing wants: one filter for the store and the CLI's quick reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from runner_api.runs.status import RunStatus


@dataclass(frozen=True)
class RunFilter:
    ticket_id: str | None = None
    customer: str | None = None
    action: str | None = None
    status: RunStatus | None = None
    since: datetime | None = None
    # The caller's customer scope: None means every customer.
    within: frozenset[str] | None = None
    requested_by: str | None = None
    # Ticket ids that start with this, case as stored (INC-10 finds INC-10 and INC-104).
    ticket_prefix: str | None = None
