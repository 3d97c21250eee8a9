"""An admin's clear of a rate limit, kept in the store so every process counts after it.

A requester clear resets that requester's hour; a target clear resets the target and every
requester's share of it (or, naming a requester, only that share); an action clear resets
the action's breaker. Each clear is audited in the transaction that records it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from runner_api.audit.sink import AuditEvent, AuditSink
from runner_api.database import Database
from runner_api.runs.attempt import Attempt
from runner_api.runs.limit_kind import LimitKind
from runner_api.runs.models import RateLimitClear
from runner_api.runs.schemas import LimitClearCreate
from runner_api.types import utcnow


class LimitClears:
    """Records clears and finds the latest one that applies to each limit of an attempt."""

    def __init__(self, db: Database, audit: AuditSink) -> None:
        self.db = db
        self.audit = audit

    def add(self, scope: LimitClearCreate, by: str) -> RateLimitClear:
        row = RateLimitClear(
            id=str(uuid.uuid4()),
            kind=scope.limit.value,
            customer=scope.customer,
            target=scope.target,
            requester=scope.requester,
            action=scope.action,
            cleared_by=by,
            cleared_at=utcnow(),
            reason=scope.reason,
        )
        event = AuditEvent(
            type="rate_limit.cleared",
            actor=by,
            customer=scope.customer,
            action=scope.action,
            target=scope.target,
            outcome="cleared",
            data={"limit": scope.limit.value, "requester": scope.requester, "reason": scope.reason},
        )
        with self.db.session() as session:
            session.add(row)
            self.audit.record(session, event)
            session.flush()
            session.expunge(row)
        return row

    def latest(
        self, session: Session, attempt: Attempt, requester: str, after: datetime
    ) -> dict[str, datetime]:
        """Limit name -> the latest clear after `after` that applies to the attempt."""
        clear = RateLimitClear
        query = select(clear.kind, clear.requester, clear.cleared_at).where(
            clear.cleared_at > after,
            or_(
                and_(clear.kind == LimitKind.REQUESTER.value, clear.requester == requester),
                and_(
                    clear.kind == LimitKind.TARGET.value,
                    clear.customer == attempt.customer,
                    clear.target == attempt.target,
                    or_(clear.requester.is_(None), clear.requester == requester),
                ),
                and_(clear.kind == LimitKind.ACTION.value, clear.action == attempt.action),
            ),
        )
        rows = session.execute(query).all()
        latest: dict[str, datetime] = {}
        for kind, named, cleared_at in rows:
            for limit in _resets(LimitKind(kind), named is not None):
                latest[limit] = max(latest.get(limit, cleared_at), cleared_at)
        return latest


def _resets(kind: LimitKind, one_requester: bool) -> tuple[str, ...]:
    """The limits (runs/limits.py names) a clear of this kind starts afresh."""
    if kind is LimitKind.TARGET:
        return ("target_requester",) if one_requester else ("target", "target_requester")
    return (kind.value,)
