"""POST /reveals/{reveal_id}: the one-time secret of a run, once."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from runner_api.api.deps import CoreDep, CurrentUser
from runner_api.api.errors import ErrorResponse

router = APIRouter(prefix="/reveals", tags=["runs"])


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
def reveal(reveal_id: str, response: Response, core: CoreDep, user: CurrentUser) -> RevealRead:
    """The generated secret of a run (e.g. a temporary password), the first time only."""
    response.headers["Cache-Control"] = "no-store"
    return RevealRead(password=core.reveals.consume(reveal_id, user))
