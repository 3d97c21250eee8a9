"""Prometheus metrics of one app instance (its own registry, so tests can build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from runner_api.runs.status import RunStatus


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
