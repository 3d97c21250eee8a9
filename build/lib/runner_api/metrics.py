"""Prometheus metrics of one app instance (its own registry, so tests can build many apps)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import text

from runner_api.database import Database
from runner_api.runs.status import RunStatus

if TYPE_CHECKING:
    from runner_api.dispatch.pool import LocalPool


class Metrics:
    """Counters of runs and their durations."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.runs_requested = Counter(
            "fixline_runs_requested",
            "Runs requested, by action and whether policy refused them.",
            ["action", "outcome"],
            registry=self.registry,
        )
        self.runs_finished = Counter(
            "fixline_runs_finished",
            "Runs that reached a terminal status.",
            ["action", "status"],
            registry=self.registry,
        )
        self.run_seconds = Histogram(
            "fixline_run_duration_seconds",
            "Time from start to end of runs that started.",
            ["action"],
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
            registry=self.registry,
        )
        self.queued = Gauge(
            "fixline_runs_queued", "Runs waiting for a worker or target.", registry=self.registry
        )
        self.running = Gauge(
            "fixline_runs_running", "Runs executing in this process.", registry=self.registry
        )

    def finished(self, action: str, status: RunStatus, seconds: float | None) -> None:
        self.runs_finished.labels(action, status.value).inc()
        if seconds is not None:
            self.run_seconds.labels(action).observe(seconds)


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
