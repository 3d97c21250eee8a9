"""Rate limits on starting runs: four separate limits, each with its own scope.

requester         one requester's runs, every customer, target and action: stops a runaway
                  requester (a script in a loop), and nobody else
target            every requester's runs on one customer's target (host, account, mailbox):
                  protects the target from being hammered
target_requester  one requester's share of a target, below `target`: one requester never
                  uses a target up alone and so never locks everyone else out of it
action            every run of one action a minute: the circuit breaker of a runaway
                  integration

Counted from the runs table, so the limits hold across processes and restarts. Never
counted: previews (check mode changes nothing; they are not held back either), refused
runs, rate-limited attempts (they are not runs) and scheduled follow-ups (they undo grants,
and must not wait behind a busy agent). An admin's clear (limit_clears.py) starts the
count of its scope afresh, in every process.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from runner_api.audit.sink import AuditEvent, AuditSink, NoAudit
from runner_api.auth.errors import RateLimitedError
from runner_api.database import Database
from runner_api.runs.attempt import Attempt
from runner_api.runs.limit_clears import LimitClears
from runner_api.runs.models import RateLimitClear, Run
from runner_api.runs.schemas import Channel, LimitClearCreate
from runner_api.runs.status import RunStatus
from runner_api.settings import Settings
from runner_api.types import utcnow


def requester_key(attempt: Attempt) -> tuple[InstrumentedAttribute[str], str]:
    """Who "one requester" is: the runs column and the attempt's value the requester limits
    (and their clears) compare: the principal id, as names need not be unique."""
    return Run.requester_id, attempt.requester_id


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
        *,
        per_target_requester_hour: int = 0,
    ) -> None:
        self.db = db
        self.audit: AuditSink = audit or NoAudit()
        self.clears = LimitClears(db, self.audit)
        self.limits = (
            Limit("requester", per_requester_hour, 3600),
            Limit("target_requester", per_target_requester_hour, 3600),
            Limit("target", per_target_hour, 3600),
            Limit("action", per_action_minute, 60),
        )

    @classmethod
    def from_settings(
        cls, db: Database, settings: Settings, audit: AuditSink | None = None
    ) -> RateLimits:
        return cls(
            db,
            per_requester_hour=settings.rate_limit_requester_per_hour,
            per_target_hour=settings.rate_limit_target_per_hour,
            per_action_minute=settings.rate_limit_action_per_minute,
            audit=audit,
            per_target_requester_hour=settings.rate_limit_target_requester_per_hour,
        )

    def check(self, attempt: Attempt) -> None:
        """RateLimitedError (with Retry-After) when the attempt would exceed a limit."""
        if attempt.channel is Channel.SCHEDULE or attempt.check_mode:
            return
        active = [limit for limit in self.limits if limit.max_runs]
        if not active:
            return
        now = utcnow()
        _, requester = requester_key(attempt)
        longest = max(limit.window_s for limit in active)
        hit: tuple[Limit, dict[str, Any]] | None = None
        # One session for every read: a session each cost a third of the whole check.
        with self.db.session() as session:
            after = now - timedelta(seconds=longest)
            cleared = self.clears.latest(session, attempt, requester, after)
            for limit in active:
                since = now - timedelta(seconds=limit.window_s)
                since = max(since, cleared.get(limit.name, since))
                counted = self._counted(session, limit, self._scope(limit, attempt), since)
                if len(counted) >= limit.max_runs:
                    hit = limit, self._details(limit, attempt, counted, since, now)
                    break
        if hit is not None:
            limit, details = hit
            self._record(attempt, details)
            message = _message(limit, attempt, details)
            retry_after_s = details.pop("retry_after_s")
            raise RateLimitedError(message, retry_after_s, **details)

    def clear(self, scope: LimitClearCreate, by: str) -> RateLimitClear:
        """Record an admin's clear of one limit's scope (audited): counting starts anew."""
        return self.clears.add(scope, by)

    def _scope(self, limit: Limit, attempt: Attempt) -> list[ColumnElement[bool]]:
        column, requester = requester_key(attempt)
        on_target = [Run.customer == attempt.customer, Run.target == attempt.target]
        return {
            "requester": [column == requester],
            "target_requester": [*on_target, column == requester],
            "target": on_target,
            "action": [Run.action == attempt.action],
        }[limit.name]

    def _counted(
        self, session: Session, limit: Limit, where: list[ColumnElement[bool]], since: datetime
    ) -> Sequence[Row[datetime, str, str, str]]:
        """The newest `max_runs` counted runs of the scope (at most that many)."""
        query = (
            select(Run.created_at, Run.requested_by, Run.requester_id, Run.customer)
            .where(
                *where,
                Run.created_at > since,
                Run.status != RunStatus.REFUSED.value,
                Run.channel != Channel.SCHEDULE.value,
                Run.check_mode.is_(False),
            )
            .order_by(Run.created_at.desc())
            .limit(limit.max_runs)
        )
        return session.execute(query).all()

    def _details(
        self,
        limit: Limit,
        attempt: Attempt,
        counted: Sequence[Row[datetime, str, str, str]],
        since: datetime,
        now: datetime,
    ) -> dict[str, Any]:
        """Which limit, whose runs fill it, and when the first slot frees."""
        # The action breaker counts every customer's runs: only the caller's customer's
        # requesters are named (whose runs the caller may list anyway), the rest counted.
        named = Counter(
            (row.requested_by, row.requester_id)
            for row in counted
            if limit.name != "action" or row.customer == attempt.customer
        )
        # A slot frees when the oldest of the newest max_runs leaves the window.
        frees_at = counted[-1].created_at + timedelta(seconds=limit.window_s)
        details: dict[str, Any] = {
            "limit": limit.name,
            "max_runs": limit.max_runs,
            "window_s": limit.window_s,
            "scope": _scope_of(limit, attempt),
            "used_by": [
                {"requested_by": who, "requester_id": who_id, "runs": n}
                for (who, who_id), n in named.most_common()
            ],
            "counted_since": since.isoformat(),
            "frees_at": frees_at.isoformat(),
            "retry_after_s": max(1, math.ceil((frees_at - now).total_seconds())),
        }
        if limit.name == "action":
            details["others"] = len(counted) - sum(named.values())
        return details

    def _record(self, attempt: Attempt, details: dict[str, Any]) -> None:
        with self.db.session() as session:
            self.audit.record(
                session,
                AuditEvent(
                    type="run.rate_limited",
                    actor=attempt.requested_by,
                    actor_id=attempt.requester_id,
                    customer=attempt.customer,
                    ticket_id=attempt.ticket_id,
                    action=attempt.action,
                    target=attempt.target,
                    outcome="rate_limited",
                    data=details | {"channel": attempt.channel.value},
                ),
            )


def _scope_of(limit: Limit, attempt: Attempt) -> dict[str, str]:
    _, requester = requester_key(attempt)
    target = {"customer": attempt.customer, "target": attempt.target}
    return {
        "requester": {"requester": requester},
        "target_requester": target | {"requester": requester},
        "target": target,
        "action": {"action": attempt.action},
    }[limit.name]


def _message(limit: Limit, attempt: Attempt, details: dict[str, Any]) -> str:
    on = f"{attempt.customer}/{attempt.target}"
    per = "a minute" if limit.window_s == 60 else "an hour"
    what = {
        "requester": f"runs by {attempt.requested_by}: at most {limit.max_runs} {per}, "
        "every customer, target and action",
        "target_requester": f"runs by {attempt.requested_by} on {on}: at most "
        f"{limit.max_runs} {per} (one requester's share of a target)",
        "target": f"runs on {on}: at most {limit.max_runs} {per}, every requester",
        "action": f"runs of {attempt.action}: at most {limit.max_runs} {per}, every "
        "requester (circuit breaker)",
    }[limit.name]
    users = ", ".join(f"{u['requested_by']} ({u['runs']})" for u in details["used_by"])
    if details.get("others"):
        users += f"{', ' if users else ''}other customers ({details['others']})"
    return (
        f"rate limit {limit.name}: too many {what}; used by {users}; the next slot frees at "
        f"{details['frees_at']} (in {details['retry_after_s']} s), or an admin clears it"
    )
