"""/worker: the calls of `fixline worker --site NAME` (role worker, scoped to its site)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service
from runner_api.sites.service import SiteRuns
from runner_api.sites.wire import (
    ClaimIn,
    EventsIn,
    FinishIn,
    FinishOut,
    HeartbeatIn,
    HeartbeatOut,
    JobOut,
    RevealIn,
    RevealOut,
)

router = APIRouter(prefix="/worker", tags=["site workers"])
SitesDep = Annotated[SiteRuns, service(SiteRuns)]
Worker = Annotated[Principal, Depends(require(Permission.WORKER_EXECUTE))]
_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorResponse,
        "description": "Not a worker token, or a worker name not of this token's.",
    },
    404: {"model": ErrorResponse, "description": "No such run of this worker's site."},
    409: {"model": ErrorResponse, "description": "Not claimable, or run by another worker."},
}


@router.post(
    "/runs/{run_id}/claim",
    summary="Claim a queued run of the worker's site; answers its parameters",
    responses=_ERRORS,
)
async def claim(run_id: str, body: ClaimIn, sites: SitesDep, worker: Worker) -> JobOut:
    return await run_in_threadpool(sites.claim, worker, run_id, body)


@router.post("/runs/{run_id}/events", status_code=204, summary="Progress events", responses=_ERRORS)
async def events(run_id: str, body: EventsIn, sites: SitesDep, worker: Worker) -> None:
    await run_in_threadpool(sites.add_events, worker, run_id, body)


@router.post(
    "/runs/{run_id}/reveals",
    summary="Keep a one-time secret of the run for its requester",
    responses=_ERRORS,
)
async def reveal(run_id: str, body: RevealIn, sites: SitesDep, worker: Worker) -> RevealOut:
    return await run_in_threadpool(sites.reveal, worker, run_id, body)


@router.post(
    "/runs/{run_id}/finish", summary="Record the run's end (and its last events)", responses=_ERRORS
)
async def finish(run_id: str, body: FinishIn, sites: SitesDep, worker: Worker) -> FinishOut:
    return await run_in_threadpool(sites.finish, worker, run_id, body)


@router.post(
    "/heartbeat", summary="The worker lives; answers the runs to cancel", responses=_ERRORS
)
async def heartbeat(body: HeartbeatIn, sites: SitesDep, worker: Worker) -> HeartbeatOut:
    return await run_in_threadpool(sites.heartbeat, worker, body)
