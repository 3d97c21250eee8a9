"""GET /directory/users: the user picker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from runner_api.auth.authorize import require_customer
from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.directory import DirectoryService
from runner_api.directory.schemas import DirectoryUser
from runner_api.directory.service import MAX_LIMIT
from runner_api.routing.services import service

router = APIRouter(prefix="/directory", tags=["directory"])
DirectoryDep = Annotated[DirectoryService, service(DirectoryService)]


@router.get("/users", response_model=list[DirectoryUser])
def search_users(
    directory: DirectoryDep,
    caller: Annotated[Principal, Depends(require(Permission.DIRECTORY_SEARCH))],
    customer: Annotated[str, Query(min_length=1, max_length=64, examples=["lab"])],
    q: Annotated[
        str, Query(min_length=1, max_length=64, description="Name, login or email (prefix).")
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> list[DirectoryUser]:
    """Users of a customer's directory matching `q`, only inside the OUs agents may touch."""
    require_customer(caller, customer)
    return directory.search_users(customer, q, limit)
