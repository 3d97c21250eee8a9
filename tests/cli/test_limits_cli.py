"""`fixline run` on a full rate limit exits with its own code; `fixline limits clear` frees
it. Lab-free: the limit answers before anything would run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from runner_api.core import Core
from tests.authz.conftest import PROJECT_DIR, lab_free_settings
from tests.plugins.server import FIXLINE
from tests.runs.factories import make_run

# Each `fixline` command is a process of its own (about 4 s of start-up).
pytestmark = pytest.mark.cli

RUN = ["run", "smoke_check", "--customer", "lab", "--ticket", "DEMO-1", "-p", "host=lab-host"]


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "FIXLINE_DATA_DIR": str(tmp_path / "data"),
        "FIXLINE_PROJECT_DIR": str(PROJECT_DIR),
        "FIXLINE_CREDENTIALS_DIR": str(tmp_path / "no-credentials"),
        "FIXLINE_RATE_LIMIT_TARGET_PER_HOUR": "2",
        "FIXLINE_RATE_LIMIT_TARGET_REQUESTER_PER_HOUR": "0",
    }


def _fixline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FIXLINE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _core(tmp_path: Path) -> Core:
    core = Core(
        lab_free_settings(
            tmp_path, rate_limit_target_per_hour=2, rate_limit_target_requester_per_hour=0
        )
    )
    core.open_store()
    return core


def test_a_full_limit_exits_4_naming_limit_users_and_moment(tmp_path: Path) -> None:
    core = _core(tmp_path)
    for n, who in enumerate(("alice.agent", "bob.senior")):
        core.store.insert(make_run(n, customer="lab", target="lab-host", requested_by=who))
    core.stop()

    hit = _fixline(_env(tmp_path), *RUN)

    assert hit.returncode == 4, hit.stdout + hit.stderr
    assert "rate limit target" in hit.stderr
    assert "alice.agent (1)" in hit.stderr and "bob.senior (1)" in hit.stderr
    assert "frees at 20" in hit.stderr  # an ISO moment, and the seconds
    assert "fixline limits clear" in _fixline(_env(tmp_path), "run", "--help").stdout


def test_limits_clear_frees_the_target_and_is_audited(tmp_path: Path) -> None:
    core = _core(tmp_path)
    for n in range(2):
        core.store.insert(make_run(n, customer="lab", target="lab-host", requested_by="x"))
    core.stop()
    env = _env(tmp_path)

    bad = _fixline(env, "limits", "clear", "target", "--customer", "lab")
    assert bad.returncode == 2 and "customer, target" in bad.stderr
    done = _fixline(
        env, "limits", "clear", "target", "--customer", "lab", "--target", "lab-host",
        "--reason", "demo", "--by", "dana.admin",
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    core = _core(tmp_path)
    try:
        from runner_api.runs.limits import Attempt
        from runner_api.runs.schemas import Channel

        core.limits.check(Attempt("lab", "DEMO-1", "smoke_check", "lab-host", "y", Channel.CLI))
        with core.db.session() as session:
            actor = session.scalar(
                text("SELECT actor FROM audit_records WHERE type = 'rate_limit.cleared'")
            )
    finally:
        core.stop()
    assert actor == "dana.admin"
