"""GET /notifications: admins see which notices went out, wait, or could not be delivered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from runner_api.api.deps import CoreDep, require
from runner_api.api.errors import ErrorResponse
from runner_api.auth.authorize import require_all_customers
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.notify.models import NotificationStatus
from runner_api.notify.outbox import list_notifications
from runner_api.notify.schemas import NotificationRead

router = APIRouter(prefix="/notifications", tags=["audit"])


@router.get(
    "",
    summary="Notices to account owners and managers, newest first",
    responses={
        401: {"model": ErrorResponse, "description": "Missing or wrong token."},
        403: {"model": ErrorResponse, "description": "Not an admin, or customer-scoped."},
    },
)
def notifications(
    core: CoreDep,
    caller: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
    status: NotificationStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationRead]:
    """Filter by status (failed: undeliverable or given up; pending: waiting or retrying)."""
    require_all_customers(caller, "the notification outbox")
    rows = list_notifications(core.db, status, limit)
    return [NotificationRead.model_validate(row) for row in rows]
