"""POST /reveals/{reveal_id}: the one-time secret of a run, once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.reveals.service import RevealService, RevealState
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service

router = APIRouter(prefix="/reveals", tags=["runs"])
RevealsDep = Annotated[RevealService, service(RevealService)]


class RevealRead(BaseModel):
    """The secret; shown once, never again."""

    password: str


class RevealStateRead(BaseModel):
    """Whether the secret can still be shown; never the secret."""

    state: RevealState


@router.get(
    "/{reveal_id}",
    summary="Whether a one-time secret can still be shown",
    responses={404: {"model": ErrorResponse, "description": "No such reveal for the caller."}},
)
def reveal_state(
    reveal_id: str,
    reveals: RevealsDep,
    caller: Annotated[Principal, Depends(require(Permission.REVEAL_OPEN))],
) -> RevealStateRead:
    """`ready`, `shown` or `expired`, to the person who requested the run only; reading it
    spends nothing (the web page hides its Show button for a spent secret)."""
    return RevealStateRead(state=reveals.state(reveal_id, caller.id))


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
