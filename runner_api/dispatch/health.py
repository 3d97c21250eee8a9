"""What /healthz and /metrics report of this process: the store, the pool, the run figures."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import generate_latest
from sqlalchemy import text

from runner_api.database import Database
from runner_api.dispatch.pool import LocalPool
from runner_api.metrics import Metrics


@dataclass(frozen=True)
class HealthReport:
    database: str  # "ok" or "unreachable"
    workers: int
    queued: int
    running: int


class ServiceHealth:
    """What /healthz and /metrics report of this process: store, pool and run figures."""

    def __init__(self, db: Database, pool: LocalPool, metrics: Metrics, workers: int) -> None:
        self.db = db
        self.pool = pool
        self.metrics = metrics
        self.workers = workers

    def report(self) -> HealthReport:
        try:
            with self.db.session() as session:
                session.execute(text("SELECT 1"))
            database = "ok"
        except Exception:  # any store failure is a degraded report, never a 500
            database = "unreachable"
        return HealthReport(
            database, self.workers, self.pool.queued_count(), len(self.pool.running_ids())
        )

    def exposition(self) -> bytes:
        """The Prometheus text format, with the pool's gauges read now."""
        self.metrics.queued.set(self.pool.queued_count())
        self.metrics.running.set(len(self.pool.running_ids()))
        return generate_latest(self.metrics.registry)
