"""A CLI command that runs one fix starts only what its own run needs."""

from __future__ import annotations

from pathlib import Path

from runner_api.core import Core
from runner_api.settings import Settings
from tests.secrets.apps import PROJECT_DIR


def _core(tmp_path: Path) -> Core:
    return Core(
        Settings(
            data_dir=tmp_path / "data",
            project_dir=PROJECT_DIR,
            credentials_dir=tmp_path / "no-credentials",
        )
    )


def test_a_one_shot_core_leaves_the_service_duties_to_the_service(tmp_path: Path) -> None:
    """Due scheduled runs, accepted webhooks and relays: a process that exits after one fix
    would leave what it took interrupted."""
    core = _core(tmp_path)
    core.start(serving=False)
    try:
        assert core.heartbeat.chores == ()
        assert core.pool.workers > 0 and core.heartbeat._thread.is_alive()
        assert not core.webhook_starter._thread.is_alive()
        assert not core.relay._thread.is_alive() and not core.ticket_relay._thread.is_alive()
    finally:
        core.stop()


def test_the_serving_core_runs_them(tmp_path: Path) -> None:
    core = _core(tmp_path)
    core.start()
    try:
        assert core.scheduler.start_due in core.heartbeat.chores
        assert core.webhook_starter._thread.is_alive() and core.relay._thread.is_alive()
    finally:
        core.stop()
