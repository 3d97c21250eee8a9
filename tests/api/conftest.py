"""An app on the embedded defaults (SQLite, local pool), its runs going to the real lab."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from runner_api.app import create_app
from runner_api.settings import Settings
from tests.plugins.lab import LabHandle

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(tmp_path: Path, lab: LabHandle) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        project_dir=lab.project_dir,
        credentials_dir=lab.hand_over(tmp_path / "data" / "credentials"),
        bootstrap_token=TOKEN,  # type: ignore[arg-type]
        workers=2,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), headers=AUTH) as test_client:
        yield test_client


def wait_for_end(client: TestClient, run_id: str, timeout: float = 120) -> dict[str, Any]:
    """Poll a run until it is terminal."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, Any] = client.get(f"/runs/{run_id}").json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end within {timeout}s")
