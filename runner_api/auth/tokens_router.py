"""/tokens: admins create, list and revoke integration tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from runner_api.api.deps import CoreDep, require
from runner_api.api.errors import ErrorResponse
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.auth.token_schemas import TokenCreate, TokenIssued, TokenRead

router = APIRouter(prefix="/tokens", tags=["tokens"])
Admin = Annotated[Principal, Depends(require(Permission.TOKENS_MANAGE))]
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Not signed in."},
    403: {"model": ErrorResponse, "description": "Only admins manage tokens."},
}


@router.post("", status_code=201, summary="Create a token", responses=_ERRORS)
def create_token(
    body: TokenCreate, core: CoreDep, caller: Admin, response: Response
) -> TokenIssued:
    """Create a token; its secret is in this answer only (stored as SHA-256)."""
    for customer in body.customers or []:
        core.customers.get(customer)
    for action in body.actions or []:
        core.catalog.get(action)
    issued = core.tokens.create(
        name=body.name,
        role=body.role,
        customers=body.customers,
        actions=body.actions,
        created_by=caller.name,
        expires_at=body.expires_at,
    )
    response.headers["Cache-Control"] = "no-store"
    read = TokenRead.model_validate(issued.record)
    return TokenIssued(**read.model_dump(), token=issued.secret)


@router.get("", summary="List tokens", responses=_ERRORS)
def list_tokens(core: CoreDep, _: Admin) -> list[TokenRead]:
    """Every token with its scope and last use; never a secret."""
    return [TokenRead.model_validate(t) for t in core.tokens.list()]


@router.post(
    "/{token_id}/revoke",
    summary="Revoke a token",
    responses={**_ERRORS, 404: {"model": ErrorResponse, "description": "No such token."}},
)
def revoke_token(token_id: str, core: CoreDep, caller: Admin) -> TokenRead:
    """Revoke at once: the token's next request gets 401."""
    return TokenRead.model_validate(core.tokens.revoke(token_id, caller.name))
