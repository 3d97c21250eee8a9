"""The runs API: start, read, list, follow live (SSE), cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from runner_api.auth.authorize import (
    may_cancel,
    require_action,
    require_customer,
    require_run_visible,
)
from runner_api.auth.deps import require
from runner_api.auth.errors import PermissionDeniedError
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.routing.responses import model_response
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service
from runner_api.runs.filters import RunFilter
from runner_api.runs.models import Run
from runner_api.runs.schemas import Channel, RunCreate, RunEventRead, RunPage, RunRead
from runner_api.runs.service import RunRequest, RunService
from runner_api.runs.status import RunStatus
from runner_api.types import MAX_INT64, UtcMoment

router = APIRouter(prefix="/runs", tags=["runs"])
RunsDep = Annotated[RunService, service(RunService)]
Reader = Annotated[Principal, Depends(require(Permission.RUN_READ))]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or wrong token."},
    404: {"model": ErrorResponse, "description": "Unknown action, customer or run."},
    422: {"model": ErrorResponse, "description": "Invalid input, with field-level messages."},
}


@router.post(
    "",
    status_code=202,
    response_model=RunRead,
    summary="Start a run",
    responses={
        **_ERRORS,
        403: {"model": ErrorResponse, "description": "Refused by policy; recorded as a run."},
        429: {"model": ErrorResponse, "description": "Rate limited; see Retry-After."},
    },
)
async def create_run(
    body: RunCreate,
    runs: RunsDep,
    caller: Annotated[Principal, Depends(require(Permission.RUN_CREATE))],
    wait: Annotated[
        float,
        Query(ge=0, le=60, description="Seconds to wait for the run to end before answering."),
    ] = 0,
) -> Response:
    """Validate, check limits and policy, record and queue a run; answers with the queued
    run (or `awaiting_approval`, with the reasons in `details.approval`), or, with `wait`,
    with the run as it stands when it ended or the wait ran out."""
    require_customer(caller, body.customer)
    require_action(caller, body.action)
    request = RunRequest(
        customer=body.customer,
        ticket_id=body.ticket_id,
        action=body.action,
        params=body.params,
        requested_by=caller.name,
        requester_id=caller.id,
        requester_person=caller.person,
        channel=Channel.API,
        check_mode=body.check_mode,
    )
    # A caller that waits gets its run started in the same transaction when a worker is free.
    run = await run_in_threadpool(runs.start_run, request, start_now=wait > 0)
    run = await runs.wait_for_end(run, wait)
    # Written once by pydantic: every fix an agent clicks waits for this answer.
    return model_response(RunRead.model_validate(run), 202)


@router.get("", summary="List runs", responses=_ERRORS)
def list_runs(
    runs: RunsDep,
    caller: Reader,
    ticket_id: Annotated[str | None, Query(description="This ticket only.")] = None,
    ticket_prefix: Annotated[
        str | None,
        Query(max_length=64, description="Tickets whose id starts with this (case as stored)."),
    ] = None,
    customer: str | None = None,
    action: str | None = None,
    status: RunStatus | None = None,
    since: Annotated[
        UtcMoment | None, Query(description="Only runs created at or after this.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
) -> RunPage:
    """Runs, newest first, filtered and paginated."""
    filters = RunFilter(
        ticket_id,
        customer,
        action,
        status,
        since,
        within=caller.customers,
        ticket_prefix=ticket_prefix,
    )
    page, next_cursor = runs.list_runs(filters, limit, cursor)
    return RunPage(items=[RunRead.model_validate(r) for r in page], next_cursor=next_cursor)


@router.get("/{run_id}", summary="One run", responses=_ERRORS)
def get_run(run_id: str, runs: RunsDep, caller: Reader) -> RunRead:
    """A run with its outcome."""
    return RunRead.model_validate(_visible_run(runs, caller, run_id))


@router.post("/{run_id}/cancel", summary="Cancel a run", responses=_ERRORS)
def cancel_run(
    run_id: str,
    runs: RunsDep,
    caller: Annotated[Principal, Depends(require(Permission.RUN_CANCEL_OWN))],
) -> RunRead:
    """Cancel a queued run, or stop a running one (its processes are killed). Agents cancel
    their own runs; senior agents and admins any run they can see."""
    run = _visible_run(runs, caller, run_id)
    if not may_cancel(caller, run.requester_id):
        raise PermissionDeniedError("only the requester or a senior agent may cancel this run")
    return RunRead.model_validate(runs.cancel(run_id, caller.name, caller.id))


def _visible_run(runs: RunService, caller: Principal, run_id: str) -> Run:
    run = runs.get_run(run_id)
    require_run_visible(caller, run_id, run.customer)
    return run


async def _event_stream(runs: RunService, run_id: str, after: int) -> AsyncIterator[str]:
    async for run, events in runs.follow(run_id, after):
        for event in events:
            payload = RunEventRead.model_validate(event).model_dump_json()
            yield f"id: {event.seq}\nevent: run_event\ndata: {payload}\n\n"
        if events:
            continue
        if RunStatus(run.status).terminal:
            final = RunRead.model_validate(run).model_dump_json()
            yield f"event: end\ndata: {final}\n\n"
            return
        yield ": keep-alive\n\n"


@router.get(
    "/{run_id}/events",
    summary="Events of a run (live, Server-Sent Events)",
    responses={
        **_ERRORS,
        200: {
            "content": {"text/event-stream": {}, "application/json": {}},
            "description": "With stream=true (default) `text/event-stream`: one `run_event` "
            "per event, then `end` with the final run. With stream=false the events so far "
            "as JSON.",
        },
    },
    response_model=None,
)
def run_events(
    run_id: str,
    runs: RunsDep,
    caller: Reader,
    after: Annotated[int, Query(ge=0, le=MAX_INT64, description="Only events after this seq.")] = 0,
    stream: Annotated[bool, Query(description="Stream live as SSE (default).")] = True,
) -> StreamingResponse | list[RunEventRead]:
    """Follow a run live: events as they happen, closed when the run ends."""
    _visible_run(runs, caller, run_id)
    if not stream:
        return [RunEventRead.model_validate(e) for e in runs.events(run_id, after)]
    return StreamingResponse(
        _event_stream(runs, run_id, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
