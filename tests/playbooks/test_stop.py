"""Timeout, cancel and a dropped connection stop everything: local workers, ssh, and the
task on the lab host (pipelined: through fixline_sh's watcher; not: through the pty)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runner_api.playbooks import PlaybookExecutor
from runner_api.runs.context import EventIn
from runner_api.runs.status import RunStatus
from tests.playbooks.conftest import (
    HostSide,
    Run,
    assert_no_trace,
    cancel_once_running,
    marker_processes,
    wait_for_marker,
    when_running,
)

SLEEP_TASK = "Sleep with the run's marker in the command line"


def _gone(host: HostSide, timeout_s: float = 5.0) -> list[str]:
    """The host side's processes still alive once they had timeout_s to go."""
    deadline = time.monotonic() + timeout_s
    while host.left() and time.monotonic() < deadline:
        time.sleep(0.02)
    return host.left()


def test_timeout_kills_the_whole_tree(
    executor: PlaybookExecutor, make_run: Callable[..., Run], work_dir: Path
) -> None:
    run = make_run("fx_sleep", timeout_s=5)
    hosts = when_running(run, SLEEP_TASK, lambda _: None)

    outcome, elapsed = run.execute(executor)

    assert outcome.status is RunStatus.TIMED_OUT, outcome
    assert outcome.error == "timed out after 5 s; the playbook was stopped"
    assert hosts, "the remote sleep never started, so nothing was proven"
    assert hosts[0].watched(), "the task was not pipelined under the remote-kill watcher"
    assert elapsed < 5 + 2
    assert marker_processes(run.marker) == []
    # The module, its watcher and the sshd session on the host: all gone.
    assert _gone(hosts[0]) == []
    assert_no_trace(run, outcome, work_dir)


@pytest.mark.parametrize(
    ("pipelining", "warm"), [(True, True), (False, False)], ids=["pipelined-warm", "pty-cold"]
)
def test_cancel_kills_the_whole_tree(
    make_executor: Callable[..., PlaybookExecutor],
    make_run: Callable[..., Run],
    work_dir: Path,
    pipelining: bool,
    warm: bool,
) -> None:
    executor = make_executor(pipelining=pipelining, warm=warm)
    run = make_run("fx_sleep")
    hosts = cancel_once_running(run, SLEEP_TASK)

    outcome, _ = run.execute(executor)
    canceled_for = time.monotonic()

    assert hosts, "the remote sleep never started, so nothing was proven"
    assert hosts[0].watched() is pipelining
    assert outcome.status is RunStatus.CANCELED, outcome
    assert outcome.error == "canceled on request; the playbook was stopped"
    assert run.kinds()[-1] == "task_start"
    # Whatever was left would be named by the marker: on the lab host side too.
    assert not wait_for_marker(run.marker, 1.0)
    assert time.monotonic() - canceled_for < 2
    assert _gone(hosts[0]) == []
    assert_no_trace(run, outcome, work_dir)


@pytest.mark.parametrize("side", ["client", "host"])
def test_a_dropped_connection_kills_the_task_on_the_host(
    executor: PlaybookExecutor, make_run: Callable[..., Run], work_dir: Path, side: str
) -> None:
    """The SSH connection dies under a pipelined task: its local master is killed (client),
    or its sshd session on the host is (host). The run fails as unreachable, and nothing
    of the task runs on."""
    run = make_run("fx_sleep")

    def _drop(host: HostSide) -> None:
        (host.client() if side == "client" else host.session).kill()

    hosts = when_running(run, SLEEP_TASK, _drop)

    outcome, _ = run.execute(executor)

    assert hosts, "the remote sleep never started, so nothing was proven"
    assert hosts[0].watched(), "the task was not pipelined under the remote-kill watcher"
    assert outcome.status is RunStatus.FAILED, outcome
    assert outcome.error is not None and "could not reach the host" in outcome.error
    assert _gone(hosts[0]) == []
    assert marker_processes(run.marker) == []
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
