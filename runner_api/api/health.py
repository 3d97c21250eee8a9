"""GET /healthz and GET /metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from runner_api import __version__
from runner_api.auth.authorize import require_all_customers
from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.dispatch.health import ServiceHealth
from runner_api.routing.services import service

router = APIRouter(tags=["service"])
HealthDep = Annotated[ServiceHealth, service(ServiceHealth)]


class Health(BaseModel):
    status: str
    version: str
    database: str
    workers: int
    queued: int
    running: int


@router.get("/healthz", summary="Liveness and store check")
def healthz(health: HealthDep) -> Health:
    """`ok` when the store answers; `degraded` otherwise (HTTP 200 either way: it is a report)."""
    report = health.report()
    return Health(
        status="ok" if report.database == "ok" else "degraded",
        version=__version__,
        database=report.database,
        workers=report.workers,
        queued=report.queued,
        running=report.running,
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(
    health: HealthDep, caller: Annotated[Principal, Depends(require(Permission.METRICS_READ))]
) -> Response:
    """Run counters and durations in the Prometheus text format (every customer's, so an
    unscoped caller only)."""
    require_all_customers(caller, "the metrics")
    return Response(health.exposition(), media_type=CONTENT_TYPE_LATEST)
