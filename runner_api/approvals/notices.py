"""Telling the requester of a held run that it was decided: by mail, where mail is configured
and the directory gave the requester an address (their page shows it live either way)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from runner_api.approvals.models import Approval, ApprovalStatus
from runner_api.auth.sessions import mail_of
from runner_api.database import Base, Database
from runner_api.notify.requester import decision_notice
from runner_api.runs.models import Run
from runner_api.types import utcnow

DECIDED = (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED, ApprovalStatus.EXPIRED)


class DecisionNotices:
    """The mail rows written with a decision, and the relay's kick once they are committed."""

    def __init__(
        self, db: Database, mailing: bool, handover_s: int, kick: Callable[[], None]
    ) -> None:
        self.db = db
        self.mailing = mailing
        self.handover_min = max(1, handover_s // 60)
        self.kick = kick

    def rows(self, run: Run, approval: Approval) -> list[Base]:
        """The requester's notice of `approval`'s decision, or none (no mail server, or no
        address on record: a token's or the CLI's runs, an agent without `mail`)."""
        if not self.mailing:
            return []
        address = mail_of(self.db, approval.requester_id)
        if not address:
            return []
        notice = decision_notice(
            run,
            approval.status,
            approval.decided_by,
            approval.comment,
            address,
            self.handover_min,
        )
        return [notice]


def decided_for(db: Database, requester_id: str, since_s: int) -> list[tuple[Approval, Run]]:
    """The requester's held runs decided in the last `since_s` seconds, newest first."""
    query = (
        select(Approval, Run)
        .join(Run, Run.id == Approval.run_id)
        .where(
            Approval.requester_id == requester_id,
            Approval.status.in_([status.value for status in DECIDED]),
            Approval.decided_at >= utcnow() - timedelta(seconds=since_s),
        )
        .order_by(Approval.decided_at.desc())
        .limit(50)
    )
    with db.session() as session:
        return [(approval, run) for approval, run in session.execute(query)]
