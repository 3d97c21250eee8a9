"""Decide held runs: approve (the run is queued and dispatched), reject, or let them expire.

A decision needs a second person: the requester never decides on their own run. Each
decision, its run's move and its audit records are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update

from runner_api.approvals.gate import ApprovalGate, approval_event, close
from runner_api.approvals.models import Approval, ApprovalStatus
from runner_api.approvals.notices import DecisionNotices, decided_for
from runner_api.audit.sink import AuditEvent
from runner_api.auth.authorize import denial
from runner_api.auth.errors import PermissionDeniedError
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.database import Base
from runner_api.errors import ConflictError, NotFoundError
from runner_api.runs.models import Run
from runner_api.runs.service import RunService
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from runner_api.types import utcnow

# Who ends approvals that nobody decided in time.
_SYSTEM = "fixline"
# The id prefix migration 0011 gave rows that were written before ids existed.
LEGACY = "legacy:"


class ApprovalNotFoundError(NotFoundError):
    code = "approval_not_found"


class ApprovalClosedError(ConflictError):
    """Already decided, expired, or its run was canceled."""

    code = "approval_closed"


class ApprovalService:
    """The approvals queue of approvers, and its expiry chore."""

    def __init__(
        self,
        store: RunStore,
        runs: RunService,
        gate: ApprovalGate,
        notices: DecisionNotices | None = None,
    ) -> None:
        self.store = store
        self.runs = runs
        self.gate = gate
        self.notices = notices

    def decided_for(self, caller: Principal, since_s: int) -> list[tuple[Approval, Run]]:
        """The caller's own held runs decided lately, newest first: their page tells them."""
        return decided_for(self.store.db, caller.id, since_s)

    def pending(self, within: frozenset[str] | None, limit: int) -> list[tuple[Approval, Run]]:
        """Pending approvals of the given customers (None: all), oldest first."""
        query = (
            select(Approval, Run)
            .join(Run, Run.id == Approval.run_id)
            .where(Approval.status == ApprovalStatus.PENDING.value)
        )
        if within is not None:
            query = query.where(Approval.customer.in_(sorted(within)))
        query = query.order_by(Approval.created_at, Approval.run_id).limit(limit)
        with self.store.db.session() as session:
            return [(approval, run) for approval, run in session.execute(query)]

    def approve(self, run_id: str, caller: Principal, comment: str | None) -> Run:
        """Queue and dispatch a held run, as approved by the caller."""
        approval, run = self._decidable(run_id, caller)
        # Built before anything moves: parameters that no longer validate change nothing.
        job = self.runs.approved_job(run, self.gate.unseal(approval), caller.name)
        close(approval, ApprovalStatus.APPROVED, caller.name, comment, caller.id)
        moved = self.store.transition(
            run_id,
            RunStatus.QUEUED,
            also_add=[approval, *self._notices(run, approval)],
            also_record=[approval_event("approved", approval, run, caller.name, caller.id)],
            details=_decided(run, approval),
            # The approving process dispatches it, so it owns it from now on (recovery).
            worker=self.runs.worker_id,
            heartbeat_at=utcnow(),
            # Should that process stop before it starts, another one starts it from this.
            sealed_job=self.runs.sealed_job(job),
        )
        if not moved:
            raise ApprovalClosedError(f"run {run_id} is no longer awaiting approval")
        self._send_notices()
        self.runs.dispatcher.submit(job)
        return self.store.get(run_id)

    def reject(self, run_id: str, caller: Principal, comment: str) -> Run:
        """End a held run as rejected; nothing of it ever runs."""
        approval, run = self._decidable(run_id, caller)
        close(approval, ApprovalStatus.REJECTED, caller.name, comment, caller.id)
        reason = f"rejected by {caller.name}: {comment}"
        self._end(run, approval, "rejected", caller.name, reason, caller.id)
        return self.store.get(run_id)

    def expire_overdue(self) -> list[str]:
        """Heartbeat chore: reject runs whose approval ran out; returns their ids."""
        now = utcnow()
        query = (
            select(Approval)
            .where(Approval.status == ApprovalStatus.PENDING.value, Approval.expires_at <= now)
            .limit(100)
        )
        with self.store.db.session() as session:
            overdue = list(session.scalars(query))
        return [approval.run_id for approval in overdue if self._expire(approval)]

    def _expire(self, approval: Approval) -> bool:
        run = self.store.get(approval.run_id)
        minutes = (approval.expires_at - approval.created_at).total_seconds() / 60
        close(approval, ApprovalStatus.EXPIRED, None, f"nobody decided within {minutes:g} min")
        reason = f"rejected: the approval expired (nobody decided within {minutes:g} min)"
        if self._end(run, approval, "expired", _SYSTEM, reason):
            return True
        # The run moved on otherwise (e.g. canceled): its sealed parameters still go.
        with self.store.db.session() as session:
            session.execute(
                update(Approval)
                .where(
                    Approval.run_id == approval.run_id,
                    Approval.status == ApprovalStatus.PENDING.value,
                )
                .values(
                    status=ApprovalStatus.EXPIRED.value, decided_at=utcnow(), sealed_params=None
                )
            )
        return False

    def _end(
        self,
        run: Run,
        approval: Approval,
        kind: str,
        actor: str,
        error: str,
        actor_id: str | None = None,
    ) -> bool:
        ended = self.store.transition(
            run.id,
            RunStatus.REJECTED,
            also_add=[approval, *self._notices(run, approval)],
            also_record=[approval_event(kind, approval, run, actor, actor_id)],
            details=_decided(run, approval),
            error=error,
        )
        if ended:
            self._send_notices()
        return ended

    def _notices(self, run: Run, approval: Approval) -> list[Base]:
        """The requester's mail of the decision, written with it (none without mail)."""
        return self.notices.rows(run, approval) if self.notices is not None else []

    def _send_notices(self) -> None:
        """The decision is committed: its mail may go now."""
        if self.notices is not None:
            self.notices.kick()

    def _decidable(self, run_id: str, caller: Principal) -> tuple[Approval, Run]:
        """The pending approval and its run, if the caller may decide it."""
        approval = self.gate.find(run_id)
        # Another customer's approval looks exactly like a missing one (but is audited).
        if approval is None or not caller.sees_customer(approval.customer):
            missing = ApprovalNotFoundError(f"no approval for run {run_id}")
            raise missing if approval is None else denial(missing, "customer_scope")
        run = self.store.get(run_id)
        if _same_person(approval, caller):
            self._audit([approval_event("denied", approval, run, caller.name, caller.id)])
            raise PermissionDeniedError(
                "the requester of a run may not decide its approval, not even through a "
                "token they created: ask another person",
                reason="own_request",
            )
        if not (caller.has(Permission.RUN_CREATE) and caller.may_run(run.action)):
            self._audit([approval_event("denied", approval, run, caller.name, caller.id)])
            raise PermissionDeniedError(
                f"deciding needs the right to run {run.action!r} for {run.customer!r} yourself",
                reason="action_scope",
            )
        if approval.status != ApprovalStatus.PENDING:
            raise ApprovalClosedError(f"the approval of run {run_id} is {approval.status}")
        if approval.expires_at <= utcnow():
            self._expire(approval)
            raise ApprovalClosedError(f"the approval of run {run_id} expired")
        return approval, run

    def _audit(self, events: Sequence[AuditEvent]) -> None:
        with self.store.db.session() as session:
            for event in events:
                self.store.audit.record(session, event)


def _same_person(approval: Approval, caller: Principal) -> bool:
    """Whether the caller is, or acts for, the person who requested the run."""
    if approval.requester_person.startswith(LEGACY):
        # Held before persons were recorded: the name is all there is to compare.
        return approval.requested_by == caller.name
    return caller.person == approval.requester_person


def _decided(run: Run, approval: Approval) -> dict[str, object]:
    """The run's details with the decision added next to the reasons."""
    held = dict(run.details.get("approval", {}))
    held.update(
        status=approval.status,
        decided_by=approval.decided_by,
        decided_by_id=approval.decided_by_id,
        decided_at=approval.decided_at.isoformat() if approval.decided_at else None,
        comment=approval.comment,
    )
    return {**run.details, "approval": held}
