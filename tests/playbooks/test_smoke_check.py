"""The repo's real smoke_check playbook through PlaybookExecutor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from runner_api.catalog.actions import builtin_actions
from runner_api.catalog.vetting import VettingLock
from runner_api.playbooks import PlaybookExecutor
from runner_api.runs.status import RunStatus
from tests.playbooks.conftest import Run, assert_no_trace
from tests.plugins.lab import LabHandle


def test_smoke_check_with_a_secret(
    lab: LabHandle, make_run: Callable[..., Run], tmp_path: Path
) -> None:
    # Vetted into a private lock file: the repo's own lock is not ours to write.
    lock = VettingLock(lab.project_dir, lock_path=tmp_path / "vetting.lock.json")
    lock.vet("smoke_check", "smoke_check", by="tests")
    work_dir = tmp_path / "work"
    executor = PlaybookExecutor(lab.project_dir, work_dir, lock, lab.credentials)
    run = make_run("smoke_check")
    # The catalog's own spec: its `secret` field is what makes the executor serve it.
    (spec,) = [action for action in builtin_actions() if action.name == "smoke_check"]
    params = {"host": "lab-host", "secret": run.canary}
    run.ctx = type(run.ctx)(**{**vars(run.ctx), "action": spec, "params": params})

    outcome, elapsed = run.execute(executor)

    assert outcome.status is RunStatus.SUCCEEDED, outcome
    assert outcome.summary.startswith("lab-host reachable; Linux ")
    assert outcome.summary.endswith("secret arrived intact")
    assert outcome.diff is not None
    assert outcome.diff["before"] == outcome.diff["after"]
    assert run.kinds()[-2:] == ["recap", "result"]
    assert elapsed < 30
    assert_no_trace(run, outcome, work_dir)
