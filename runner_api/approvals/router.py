"""The approvals API: the queue of pending approvals, approve, reject."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from runner_api.approvals.schemas import (
    ApprovalApprove,
    ApprovalRead,
    ApprovalReject,
    DecisionRead,
)
from runner_api.approvals.service import ApprovalService
from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service
from runner_api.runs.schemas import RunRead

router = APIRouter(prefix="/approvals", tags=["approvals"])
ApprovalsDep = Annotated[ApprovalService, service(ApprovalService)]
Approver = Annotated[Principal, Depends(require(Permission.APPROVAL_DECIDE))]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or wrong token."},
    403: {"model": ErrorResponse, "description": "Not an approver, or your own request."},
    404: {"model": ErrorResponse, "description": "No such approval in your customers."},
    409: {"model": ErrorResponse, "description": "Already decided, expired or canceled."},
    422: {"model": ErrorResponse, "description": "Invalid input."},
}


@router.get("", summary="Pending approvals", responses=_ERRORS)
def list_approvals(
    approvals: ApprovalsDep, caller: Approver, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[ApprovalRead]:
    """Runs of your customers waiting for a second person, oldest first."""
    pending = approvals.pending(caller.customers, limit)
    return [ApprovalRead.of(approval, run) for approval, run in pending]


@router.get("/decided", summary="Decisions on your own held runs", responses=_ERRORS)
def decided(
    approvals: ApprovalsDep,
    caller: Annotated[Principal, Depends(require(Permission.RUN_CREATE))],
    within_s: Annotated[int, Query(ge=1, le=86400)] = 3600,
) -> list[DecisionRead]:
    """Your runs that waited for a second person and were approved, rejected or expired in
    the last `within_s` seconds, newest first: the web page tells you of each, live."""
    return [
        DecisionRead.of(approval, run) for approval, run in approvals.decided_for(caller, within_s)
    ]


@router.post("/{run_id}/approve", summary="Approve a held run", responses=_ERRORS)
def approve(
    run_id: str, approvals: ApprovalsDep, caller: Approver, body: ApprovalApprove | None = None
) -> RunRead:
    """The run is queued and runs; never by its own requester."""
    comment = body.comment if body is not None else None
    return RunRead.model_validate(approvals.approve(run_id, caller, comment))


@router.post("/{run_id}/reject", summary="Reject a held run", responses=_ERRORS)
def reject(run_id: str, body: ApprovalReject, approvals: ApprovalsDep, caller: Approver) -> RunRead:
    """The run ends rejected with your comment; nothing of it runs."""
    return RunRead.model_validate(approvals.reject(run_id, caller, body.comment))
