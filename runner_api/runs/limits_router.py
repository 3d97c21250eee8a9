"""POST /limits/clear: an admin clears a rate limit for one scope (recorded, audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from runner_api.auth.authorize import require_all_customers, require_customer
from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.customers.registry import CustomerRegistry
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service
from runner_api.runs.limit_kind import LimitKind
from runner_api.runs.limits import RateLimits
from runner_api.runs.schemas import LimitClearCreate, LimitClearRead

router = APIRouter(prefix="/limits", tags=["runs"])
CustomersDep = Annotated[CustomerRegistry, service(CustomerRegistry)]
LimitsDep = Annotated[RateLimits, service(RateLimits)]


@router.post(
    "/clear",
    status_code=201,
    summary="Clear a rate limit",
    responses={
        401: {"model": ErrorResponse, "description": "Missing or wrong token."},
        403: {"model": ErrorResponse, "description": "Not an admin of every customer involved."},
        404: {"model": ErrorResponse, "description": "Unknown customer."},
        422: {"model": ErrorResponse, "description": "The scope does not fit the limit."},
    },
)
def clear_limit(
    body: LimitClearCreate,
    customers: CustomersDep,
    limits: LimitsDep,
    caller: Annotated[Principal, Depends(require(Permission.LIMITS_CLEAR))],
) -> LimitClearRead:
    """Runs of the scope so far no longer count: `requester` (that requester's hour),
    `target` (a customer's target, every requester's share of it too; with `requester`
    only that share), `action` (its per-minute breaker). Recorded, so every process counts
    from the clear on, and audited."""
    if body.limit is LimitKind.TARGET:
        assert body.customer is not None  # the schema requires it for a target clear
        require_customer(caller, body.customer)
        customers.get(body.customer)
    else:
        require_all_customers(caller, f"a {body.limit.value} limit")
    return LimitClearRead.model_validate(limits.clear(body, caller.name))
