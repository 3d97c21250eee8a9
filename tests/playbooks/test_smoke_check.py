"""The repo's real smoke_check playbook through PlaybookExecutor (pipelined, warm)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import psutil

from runner_api.catalog.actions import builtin_actions
from runner_api.catalog.vetting import VettingLock
from runner_api.playbooks import PlaybookExecutor
from runner_api.playbooks.warm import WarmAnsible
from runner_api.runs.status import RunStatus
from tests.playbooks.conftest import Run, assert_no_trace
from tests.plugins.lab import LabHandle


def _sessions(lab: LabHandle) -> list[psutil.Process]:
    """Live connections of the lab sshd (its children), after up to 5 s to end."""
    pid = lab.lab.sshd.pid()
    assert pid is not None, "the lab sshd is not running"
    deadline = time.monotonic() + 5
    while (children := psutil.Process(pid).children()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return children


def test_smoke_check_with_a_secret(
    lab: LabHandle, warm_ansible: WarmAnsible, make_run: Callable[..., Run], tmp_path: Path
) -> None:
    """Several tasks, one SSH connection (the run's master), closed when the run ends."""
    # Vetted into a private lock file: the repo's own lock is not ours to write.
    lock = VettingLock(lab.project_dir, lock_path=tmp_path / "vetting.lock.json")
    lock.vet("smoke_check", "smoke_check", by="tests")
    work_dir = tmp_path / "work"
    executor = PlaybookExecutor(lab.project_dir, work_dir, lock, lab.credentials, warm=warm_ansible)
    run = make_run("smoke_check")
    # The catalog's own spec: its `secret` field is what makes the executor serve it.
    (spec,) = [action for action in builtin_actions() if action.name == "smoke_check"]
    params = {"host": "lab-host", "secret": run.canary}
    run.ctx = type(run.ctx)(**{**vars(run.ctx), "action": spec, "params": params})

    log = lab.lab.sshd.log_path
    logins = log.read_text().count("Accepted publickey")
    assert _sessions(lab) == []

    outcome, elapsed = run.execute(executor)

    assert outcome.status is RunStatus.SUCCEEDED, outcome
    assert outcome.summary.startswith("lab-host reachable; Linux ")
    assert outcome.summary.endswith("secret arrived intact")
    assert outcome.diff is not None
    assert outcome.diff["before"] == outcome.diff["after"]
    assert run.kinds()[-2:] == ["recap", "result"]
    assert elapsed < 30
    assert log.read_text().count("Accepted publickey") - logins == 1
    assert _sessions(lab) == []
    assert_no_trace(run, outcome, work_dir)
