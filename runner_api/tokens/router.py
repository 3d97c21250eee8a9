"""/tokens: admins create, list and revoke integration tokens.

Nobody grants more than they hold: a new token's role, customers, actions and expiry fit
inside the caller's own. A customer-scoped admin sees and revokes only tokens inside its
scope; others answer 404 as if they did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from runner_api.auth.deps import require
from runner_api.auth.models import ApiToken
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.auth.tokens import Creator, TokenStore
from runner_api.catalog.registry import Catalog
from runner_api.customers.registry import CustomerRegistry
from runner_api.errors import NotFoundError
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service
from runner_api.tokens.grants import require_grantable, token_in_scope
from runner_api.tokens.schemas import TokenCreate, TokenIssued, TokenRead

router = APIRouter(prefix="/tokens", tags=["tokens"])
CatalogDep = Annotated[Catalog, service(Catalog)]
CustomersDep = Annotated[CustomerRegistry, service(CustomerRegistry)]
TokensDep = Annotated[TokenStore, service(TokenStore)]
Admin = Annotated[Principal, Depends(require(Permission.TOKENS_MANAGE))]
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Not signed in."},
    403: {
        "model": ErrorResponse,
        "description": "Only admins manage tokens, and only within their own scope.",
    },
}


@router.post(
    "",
    status_code=201,
    summary="Create a token",
    responses={
        **_ERRORS,
        409: {"model": ErrorResponse, "description": "A live token already has this name."},
    },
)
def create_token(
    body: TokenCreate,
    tokens: TokensDep,
    customers: CustomersDep,
    catalog: CatalogDep,
    caller: Admin,
    response: Response,
) -> TokenIssued:
    """Create a token; its secret is in this answer only (stored as SHA-256). It acts for
    the person who created it, within that person's scope."""
    for customer in body.customers or []:
        customers.get(customer)
    for action in body.actions or []:
        catalog.get(action)
    require_grantable(caller, body.role, body.customers, body.actions, body.expires_at)
    issued = tokens.create(
        name=body.name,
        role=body.role,
        customers=body.customers,
        actions=body.actions,
        created_by=Creator.of(caller),
        expires_at=body.expires_at,
    )
    response.headers["Cache-Control"] = "no-store"
    read = TokenRead.model_validate(issued.record)
    return TokenIssued(**read.model_dump(), token=issued.secret)


@router.get("", summary="List tokens", responses=_ERRORS)
def list_tokens(tokens: TokensDep, caller: Admin) -> list[TokenRead]:
    """Every token within your scope, with its scope and last use; never a secret."""
    return [TokenRead.model_validate(t) for t in tokens.list() if token_in_scope(caller, t)]


@router.post(
    "/{token_id}/revoke",
    summary="Revoke a token",
    responses={**_ERRORS, 404: {"model": ErrorResponse, "description": "No such token."}},
)
def revoke_token(token_id: str, tokens: TokensDep, caller: Admin) -> TokenRead:
    """Revoke at once: the token's next request gets 401. The bootstrap token too."""
    _visible_token(tokens.get(token_id), caller)
    return TokenRead.model_validate(tokens.revoke(token_id, Creator.of(caller)))


def _visible_token(token: ApiToken, caller: Principal) -> ApiToken:
    if not token_in_scope(caller, token):
        raise NotFoundError(f"no token {token.id!r}")
    return token
