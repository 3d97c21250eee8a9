"""The `fixline` command as an operator uses it, against the real lab."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.plugins.lab import LabHandle
from tests.plugins.server import FIXLINE, fixline_env
from tests.plugins.webhooks import no_lab


def _fixline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FIXLINE, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.mark.cli
def test_help_names_every_command(tmp_path: Path) -> None:
    env = fixline_env(tmp_path, no_lab(tmp_path))
    top = _fixline(env, "--help")
    assert top.returncode == 0
    for command in ("serve", "demo", "run", "runs", "show", "cancel", "actions", "vet", "db"):
        assert command in top.stdout
    run_help = _fixline(env, "run", "--help").stdout
    assert "--param" in run_help and "--check" in run_help and "--wait" in run_help


def test_run_waits_with_live_output_and_is_listed(tmp_path: Path, lab: LabHandle) -> None:
    env = fixline_env(tmp_path, lab)
    done = _fixline(
        env,
        "run",
        "smoke_check",
        "--customer",
        "lab",
        "--ticket",
        "CLI-1",
        "--param",
        "host=lab-host",
        "--wait",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "queued" in done.stdout and "succeeded" in done.stdout
    assert "[lab-host]" in done.stdout, "live events were not shown"
    run_id = done.stdout.split()[1]
    listed = _fixline(env, "runs", "--ticket", "CLI-1")
    assert run_id in listed.stdout
    shown = _fixline(env, "show", run_id)
    assert json.loads(shown.stdout.split("\nevents:")[0])["status"] == "succeeded"


def test_service_restart_through_the_cli(tmp_path: Path, lab: LabHandle) -> None:
    env = fixline_env(tmp_path, lab)
    done = _fixline(
        env,
        "run",
        "service_restart",
        "--customer",
        "lab",
        "--ticket",
        "CLI-2",
        "--param",
        "host=lab-host",
        "--param",
        "unit=fixline-lab-web",
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_refusals_and_bad_input_have_clear_exit_codes(tmp_path: Path, lab: LabHandle) -> None:
    env = fixline_env(tmp_path, lab)
    refused = _fixline(
        env,
        "run",
        "service_restart",
        "--customer",
        "lab",
        "--ticket",
        "CLI-3",
        "--param",
        "host=lab-host",
        "--param",
        "unit=cron",
    )
    assert refused.returncode == 3
    assert "allow-list" in refused.stderr
    invalid = _fixline(
        env,
        "run",
        "smoke_check",
        "--customer",
        "lab",
        "--ticket",
        "CLI-4",
        "--param",
        "host=no such host",
    )
    assert invalid.returncode == 2 and "params.host" in invalid.stderr
    unknown = _fixline(env, "run", "nope", "--customer", "lab", "--ticket", "CLI-5")
    assert unknown.returncode == 2 and "no vetted action" in unknown.stderr


def test_edited_playbook_is_refused_until_vetted_again(tmp_path: Path, lab: LabHandle) -> None:
    project = tmp_path / "project"
    for part in ("playbooks", "roles", "inventories"):
        shutil.copytree(lab.project_dir / part, project / part)
    shutil.copy(lab.project_dir / "vetting.lock.json", project)
    tasks = project / "roles" / "smoke_check" / "tasks" / "main.yml"
    tasks.write_text(tasks.read_text() + "# edited after review\n")
    env = fixline_env(tmp_path / "data", lab, FIXLINE_PROJECT_DIR=str(project))
    args = (
        "run",
        "smoke_check",
        "--customer",
        "lab",
        "--ticket",
        "CLI-6",
        "--param",
        "host=lab-host",
    )
    refused = _fixline(env, *args)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "roles/smoke_check/tasks/main.yml" in refused.stderr
    assert "fixline vet smoke_check" in refused.stderr
    assert "CHANGED" in _fixline(env, "actions").stdout
    vetted = _fixline(env, "vet", "smoke_check", "--by", "Dana Reviewer")
    assert vetted.returncode == 0 and "changed: roles/smoke_check/tasks/main.yml" in vetted.stdout
    entry = json.loads((project / "vetting.lock.json").read_text())["actions"]["smoke_check"]
    assert entry["vetted_by"] == "Dana Reviewer"
    assert _fixline(env, *args).returncode == 0
