"""POST /reveals/{reveal_id}: the one-time secret of a run, once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.reveals.service import RevealService
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service

router = APIRouter(prefix="/reveals", tags=["runs"])
RevealsDep = Annotated[RevealService, service(RevealService)]


class RevealRead(BaseModel):
    """The secret; shown once, never again."""

    password: str


@router.post(
    "/{reveal_id}",
    summary="Reveal a one-time secret",
    responses={
        404: {"model": ErrorResponse, "description": "No such reveal for the caller."},
        410: {"model": ErrorResponse, "description": "Already shown once, or expired."},
    },
)
def reveal(
    reveal_id: str,
    response: Response,
    reveals: RevealsDep,
    caller: Annotated[Principal, Depends(require(Permission.REVEAL_OPEN))],
) -> RevealRead:
    """The generated secret of a run (e.g. a temporary password), the first time only, and
    only to the person who requested the run."""
    response.headers["Cache-Control"] = "no-store"
    return RevealRead(password=reveals.consume(reveal_id, caller.name, caller.id))
