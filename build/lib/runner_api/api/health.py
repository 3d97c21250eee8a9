"""GET /healthz and GET /metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from runner_api import __version__
from runner_api.api.deps import CoreDep, require
from runner_api.auth.authorize import require_all_customers
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal

router = APIRouter(tags=["service"])


class Health(BaseModel):
    status: str
    version: str
    database: str
    workers: int
    queued: int
    running: int


@router.get("/healthz", summary="Liveness and store check")
def healthz(core: CoreDep) -> Health:
    """`ok` when the store answers; `degraded` otherwise (HTTP 200 either way: it is a report)."""
    try:
        with core.db.session() as session:
            session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any store failure is a degraded report, never a 500
        database = "unreachable"
    return Health(
        status="ok" if database == "ok" else "degraded",
        version=__version__,
        database=database,
        workers=core.settings.workers,
        queued=core.pool.queued_count(),
        running=len(core.pool.running_ids()),
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(
    core: CoreDep, caller: Annotated[Principal, Depends(require(Permission.METRICS_READ))]
) -> Response:
    """Run counters and durations in the Prometheus text format (every customer's, so an
    unscoped caller only)."""
    require_all_customers(caller, "the metrics")
    core.metrics.queued.set(core.pool.queued_count())
    core.metrics.running.set(len(core.pool.running_ids()))
    return Response(generate_latest(core.metrics.registry), media_type=CONTENT_TYPE_LATEST)
