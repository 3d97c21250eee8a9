"""The admins' listing route of an outbox (or any table of rows with a status): newest first,
optionally of one status; audit readers only, and only those who see every customer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from runner_api.auth.authorize import require_all_customers
from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.database import Database
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service

StoreDep = Annotated[Database, service(Database)]

Status = TypeVar("Status", bound=StrEnum)
Read = TypeVar("Read", bound=BaseModel)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or wrong token."},
    403: {"model": ErrorResponse, "description": "Not an admin, or customer-scoped."},
}


def add_listing(
    router: APIRouter,
    path: str,
    *,
    rows: Callable[[Database, Status | None, int], Sequence[Any]],
    statuses: type[Status],
    read: type[Read],
    name: str,
    summary: str,
    description: str,
    what: str,
) -> None:
    """Add GET `path` to router: `read` of rows(db, status, limit); `what` names the table
    in the refusal of a customer-scoped caller."""

    def listing(
        store: StoreDep,
        caller: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
        status: Status | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[Read]:
        require_all_customers(caller, what)
        return [read.model_validate(row) for row in rows(store, status, limit)]

    # FastAPI takes the query's enum and the answer's shape from the annotations: give it the
    # concrete types in place of the type variables.
    listing.__annotations__ |= {"status": statuses | None, "return": list[read]}  # type: ignore[valid-type]
    router.add_api_route(
        path,
        listing,
        methods=["GET"],
        name=name,
        summary=summary,
        description=description,
        responses=_RESPONSES,
    )
