"""API shapes of approvals: a decision in, the pending approvals out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from runner_api.approvals.models import Approval, ApprovalStatus
from runner_api.runs.models import Run


class ApprovalApprove(BaseModel):
    """An approval, optionally with a note for the record."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    comment: str | None = Field(None, max_length=1000, description="Kept with the decision.")


class ApprovalReject(BaseModel):
    """A rejection: say why (the requester reads it on the run)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    comment: str = Field(min_length=1, max_length=1000, description="Why it was rejected.")


class ApprovalReason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str = Field(
        description="vip_user, vip_unverified, repeat_reset, external_forwarding, vpn_grant ..."
    )
    message: str


class ApprovalRead(BaseModel):
    """A run waiting for a second person, and why."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    customer: str
    ticket_id: str
    action: str
    target: str
    requested_by: str
    reasons: list[ApprovalReason]
    status: ApprovalStatus
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, approval: Approval, run: Run) -> ApprovalRead:
        return cls(
            run_id=approval.run_id,
            customer=approval.customer,
            ticket_id=run.ticket_id,
            action=run.action,
            target=run.target,
            requested_by=approval.requested_by,
            reasons=[ApprovalReason.model_validate(reason) for reason in approval.reasons],
            status=ApprovalStatus(approval.status),
            created_at=approval.created_at,
            expires_at=approval.expires_at,
        )


class DecisionRead(BaseModel):
    """A decision on one of the caller's own held runs: what their page tells them."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    ticket_id: str
    action: str
    target: str
    status: ApprovalStatus
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    # Where the run is now (queued, running, succeeded ... or rejected).
    run_status: str

    @classmethod
    def of(cls, approval: Approval, run: Run) -> DecisionRead:
        decision = ("run_id", "decided_by", "decided_at", "comment")
        return cls(
            **{name: getattr(approval, name) for name in decision},
            status=ApprovalStatus(approval.status),
            **{name: getattr(run, name) for name in ("ticket_id", "action", "target")},
            run_status=run.status,
        )
