"""/reveals/{reveal_id}: the one-time secret of a run, once: shown, or a file downloaded."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel

from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.reveals.models import Reveal
from runner_api.reveals.service import RevealService, RevealState, state_of
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service

router = APIRouter(prefix="/reveals", tags=["runs"])
RevealsDep = Annotated[RevealService, service(RevealService)]
Opener = Annotated[Principal, Depends(require(Permission.REVEAL_OPEN))]
# A VPN profile (OpenVPN's own type for .ovpn files).
PROFILE_TYPE = "application/x-openvpn-profile"
_NOT_YOURS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such reveal for the caller."}
}
_SPENT: dict[int | str, dict[str, Any]] = {
    **_NOT_YOURS,
    409: {"model": ErrorResponse, "description": "A file asked to be shown, or text downloaded."},
    410: {"model": ErrorResponse, "description": "Already handed over once, or expired."},
}


class RevealRead(BaseModel):
    """The secret; shown once, never again."""

    password: str


class RevealStateRead(BaseModel):
    """Whether the secret can still be handed over, and how; never the secret."""

    state: RevealState
    # Set when the secret is a file: it is downloaded under this name, never shown.
    filename: str | None
    # When the requester was told it is ready (the hand-over window started); None: not yet.
    told_at: datetime | None
    expires_at: datetime

    @classmethod
    def of(cls, reveal: Reveal) -> RevealStateRead:
        return cls(
            state=state_of(reveal),
            filename=reveal.filename,
            told_at=reveal.told_at,
            expires_at=reveal.expires_at,
        )


@router.get(
    "/{reveal_id}",
    summary="Whether a one-time secret can still be handed over",
    responses=_NOT_YOURS,
)
def reveal_state(reveal_id: str, reveals: RevealsDep, caller: Opener) -> RevealStateRead:
    """`ready`, `shown` or `expired`, to the person who requested the run only; reading it
    spends nothing and starts no window (the web page hides its button for a spent one)."""
    return RevealStateRead.of(reveals.view(reveal_id, caller.id))


@router.post(
    "/{reveal_id}/told",
    summary="Tell the requester a one-time secret is ready",
    responses=_NOT_YOURS,
)
def reveal_told(reveal_id: str, reveals: RevealsDep, caller: Opener) -> RevealStateRead:
    """The requester's page shows them the secret is ready: its hand-over window (a few
    minutes) starts now, once. A held run's secret waits for this, not for the run's end."""
    return RevealStateRead.of(reveals.told(reveal_id, caller.name, caller.id))


@router.post("/{reveal_id}", summary="Reveal a one-time secret", responses=_SPENT)
def reveal(reveal_id: str, response: Response, reveals: RevealsDep, caller: Opener) -> RevealRead:
    """The generated secret of a run (e.g. a temporary password), the first time only, and
    only to the person who requested the run. A file (a VPN profile) is refused here: it is
    downloaded, never shown."""
    response.headers["Cache-Control"] = "no-store"
    return RevealRead(password=reveals.consume(reveal_id, caller.name, caller.id))


@router.post(
    "/{reveal_id}/download",
    summary="Download a one-time file (a VPN profile)",
    response_class=Response,
    responses={200: {"content": {PROFILE_TYPE: {}}, "description": "The file."}, **_SPENT},
)
def download(reveal_id: str, reveals: RevealsDep, caller: Opener) -> Response:
    """The file a run made for its requester (a VPN profile with its private key), once;
    a second download is refused (410) saying when the first was."""
    filename, content = reveals.download(reveal_id, caller.name, caller.id)
    return Response(
        content.encode(),
        media_type=PROFILE_TYPE,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
