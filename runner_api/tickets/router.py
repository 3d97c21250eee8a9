"""GET /tickets/updates: admins see which write-backs went out, wait, or keep failing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from runner_api.api.deps import CoreDep, require
from runner_api.api.errors import ErrorResponse
from runner_api.auth.authorize import require_all_customers
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.outbox.models import OutboxStatus
from runner_api.tickets.outbox import list_updates
from runner_api.tickets.schemas import TicketUpdateRead

router = APIRouter(prefix="/tickets", tags=["audit"])


@router.get(
    "/updates",
    summary="Ticket write-backs (comments, status changes), newest first",
    responses={
        401: {"model": ErrorResponse, "description": "Missing or wrong token."},
        403: {"model": ErrorResponse, "description": "Not an admin, or customer-scoped."},
    },
)
def ticket_updates(
    core: CoreDep,
    caller: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
    status: OutboxStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TicketUpdateRead]:
    """Filter by status (failed: given up after retries; pending: waiting or retrying)."""
    require_all_customers(caller, "the ticket write-back outbox")
    return [TicketUpdateRead.model_validate(row) for row in list_updates(core.db, status, limit)]
