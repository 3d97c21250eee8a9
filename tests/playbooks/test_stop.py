"""Timeout and cancel stop everything: local workers, ssh, and the task on the lab host."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from runner_api.playbooks import PlaybookExecutor
from runner_api.runs.context import EventIn
from runner_api.runs.status import RunStatus
from tests.playbooks.conftest import (
    Run,
    assert_no_trace,
    cancel_once_running,
    marker_processes,
    wait_for_marker,
)

SLEEP_TASK = "Sleep with the run's marker in the command line"


def test_timeout_kills_the_whole_tree(
    executor: PlaybookExecutor, make_run: Callable[..., Run], work_dir: Path
) -> None:
    run = make_run("fx_sleep", timeout_s=3)
    seen: list[bool] = []
    run.on_event = lambda event: (
        seen.append(True) if event.kind == "task_start" and event.task == SLEEP_TASK else None
    )

    outcome, elapsed = run.execute(executor)

    assert outcome.status is RunStatus.TIMED_OUT, outcome
    assert outcome.error == "timed out after 3 s; the playbook was stopped"
    assert seen, "the sleep task never started"
    assert elapsed < 3 + 2
    assert marker_processes(run.marker) == []
    assert_no_trace(run, outcome, work_dir)


def test_cancel_kills_the_whole_tree(
    executor: PlaybookExecutor, make_run: Callable[..., Run], work_dir: Path
) -> None:
    run = make_run("fx_sleep")
    seen = cancel_once_running(run, SLEEP_TASK)

    outcome, _ = run.execute(executor)
    canceled_for = time.monotonic()

    assert seen.is_set(), "the remote sleep never started, so nothing was proven"
    assert outcome.status is RunStatus.CANCELED, outcome
    assert outcome.error == "canceled on request; the playbook was stopped"
    assert run.kinds()[-1] == "task_start"
    # Whatever was left would be named by the marker: on the lab host side too.
    assert not wait_for_marker(run.marker, 1.0)
    assert time.monotonic() - canceled_for < 2
    assert_no_trace(run, outcome, work_dir)


def test_cancel_latency_is_short(
    executor: PlaybookExecutor, make_run: Callable[..., Run], work_dir: Path
) -> None:
    run = make_run("fx_sleep")
    canceled_at: list[float] = []

    def _on_event(event: EventIn) -> None:
        if event.kind == "task_start" and event.task == SLEEP_TASK:
            wait_for_marker(run.marker, 15)
            run.ctx.cancel_requested.set()
            canceled_at.append(time.monotonic())

    run.on_event = _on_event
    outcome, _ = run.execute(executor)
    latency = time.monotonic() - canceled_at[0]

    assert outcome.status is RunStatus.CANCELED
    assert latency < 2.0, latency
    assert_no_trace(run, outcome, work_dir)


def test_cancel_before_start_runs_nothing(
    executor: PlaybookExecutor, make_run: Callable[..., Run], work_dir: Path
) -> None:
    run = make_run("fx_sleep")
    run.ctx.cancel_requested.set()

    outcome, elapsed = run.execute(executor)

    assert outcome.status is RunStatus.CANCELED
    assert run.events == []
    assert elapsed < 1
    assert_no_trace(run, outcome, work_dir)


def test_an_event_that_cannot_be_recorded_stops_the_run(
    executor: PlaybookExecutor, make_run: Callable[..., Run], work_dir: Path
) -> None:
    run = make_run("fx_sleep")

    def _on_event(event: EventIn) -> None:
        if event.kind == "ok":
            raise OSError("store is gone")

    run.on_event = _on_event
    outcome, elapsed = run.execute(executor)

    assert outcome.status is RunStatus.FAILED
    assert outcome.error == "run stopped: could not record a run event: OSError: store is gone"
    assert elapsed < 10
    assert_no_trace(run, outcome, work_dir)
