"""Rate limits on starting runs (P7, W4): per requester, per target, per action.

Counted from the runs table, so the limits hold across processes and restarts. Refused
requests and rate-limited attempts are not runs that did anything and never count; neither
do scheduled follow-ups (they undo grants, and must not wait behind a busy agent).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, select

from runner_api.audit.sink import AuditEvent, AuditSink, NoAudit
from runner_api.auth.errors import RateLimitedError
from runner_api.database import Database
from runner_api.runs.models import Run
from runner_api.runs.schemas import Channel
from runner_api.runs.status import RunStatus
from runner_api.types import utcnow


@dataclass(frozen=True)
class Attempt:
    """What a start_run request is about, as the limits see it."""

    customer: str
    ticket_id: str
    action: str
    target: str
    requested_by: str  # the requester's principal id (runs.requester_id), not its name
    channel: Channel


@dataclass(frozen=True)
class Limit:
    """At most `max_runs` runs in `window_s` seconds; 0 turns it off."""

    name: str
    max_runs: int
    window_s: int


class RateLimits:
    """Checked by start_run before anything is recorded; a hit is audited and raised."""

    def __init__(
        self,
        db: Database,
        per_requester_hour: int,
        per_target_hour: int,
        per_action_minute: int,
        audit: AuditSink | None = None,
    ) -> None:
        self.db = db
        self.audit: AuditSink = audit or NoAudit()
        self.requester = Limit("requester", per_requester_hour, 3600)
        self.target = Limit("target", per_target_hour, 3600)
        self.action = Limit("action", per_action_minute, 60)

    def check(self, attempt: Attempt) -> None:
        """RateLimitedError (with Retry-After) when the attempt would exceed a limit."""
        if attempt.channel is Channel.SCHEDULE:
            return
        # Filters built only for limits that are on: building them cost more than the
        # whole check when limits are off.
        scopes: list[tuple[Limit, Callable[[], list[ColumnElement[bool]]]]] = [
            (self.requester, lambda: [Run.requester_id == attempt.requested_by]),
            (
                self.target,
                lambda: [Run.customer == attempt.customer, Run.target == attempt.target],
            ),
            (self.action, lambda: [Run.action == attempt.action]),
        ]
        for limit, where in scopes:
            if not limit.max_runs:
                continue
            retry_after_s = self._retry_after(limit, where())
            if retry_after_s is not None:
                self._record(attempt, limit, retry_after_s)
                raise RateLimitedError(
                    f"too many runs: at most {limit.max_runs} per {limit.name} in "
                    f"{limit.window_s} s; try again in {retry_after_s} s",
                    retry_after_s,
                    limit=limit.name,
                )

    def _retry_after(self, limit: Limit, where: list[ColumnElement[bool]]) -> int | None:
        """Seconds until a slot frees (None: a slot is free now)."""
        now = utcnow()
        query = (
            select(Run.created_at)
            .where(
                *where,
                Run.created_at > now - timedelta(seconds=limit.window_s),
                Run.status != RunStatus.REFUSED.value,
                Run.channel != Channel.SCHEDULE.value,
            )
            .order_by(Run.created_at.desc())
            .limit(limit.max_runs)
        )
        with self.db.session() as session:
            recent = list(session.scalars(query))
        if len(recent) < limit.max_runs:
            return None
        # A slot frees when the oldest of the newest max_runs leaves the window.
        frees_at = recent[-1] + timedelta(seconds=limit.window_s)
        return max(1, math.ceil((frees_at - now).total_seconds()))

    def _record(self, attempt: Attempt, limit: Limit, retry_after_s: int) -> None:
        data: dict[str, Any] = {
            "limit": limit.name,
            "max_runs": limit.max_runs,
            "window_s": limit.window_s,
            "retry_after_s": retry_after_s,
            "channel": attempt.channel.value,
        }
        with self.db.session() as session:
            self.audit.record(
                session,
                AuditEvent(
                    type="run.rate_limited",
                    actor=attempt.requested_by,
                    customer=attempt.customer,
                    ticket_id=attempt.ticket_id,
                    action=attempt.action,
                    target=attempt.target,
                    outcome="rate_limited",
                    data=data,
                ),
            )
