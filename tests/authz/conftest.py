"""An app without the lab: authorization is decided before any outside system is asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from runner_api.app import create_app
from runner_api.auth.tokens import Creator
from runner_api.core import Core
from runner_api.settings import Settings

ADMIN_TOKEN = "authz-bootstrap-0123456789abcdef"
PROJECT_DIR = Path(__file__).resolve().parents[2]


def by(name: str) -> Creator:
    """A token creator who is a person of their own ("test:<name>")."""
    return Creator(name, f"test:{name}", f"test:{name}")


def lab_free_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings of an app on this checkout's project with no lab and no credentials."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "project_dir": PROJECT_DIR,
        "credentials_dir": tmp_path / "no-credentials",
        "workers": 1,
    }
    return Settings(**(values | overrides))


@pytest.fixture
def core(tmp_path: Path) -> Core:
    settings = Settings(
        data_dir=tmp_path / "data",
        project_dir=PROJECT_DIR,
        credentials_dir=tmp_path / "no-credentials",
        bootstrap_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        workers=1,
        # Every reset waits for approval: the matrix needs held runs of every owner.
        approval_for_high_risk_actions=True,
        rate_limit_requester_per_hour=0,
        rate_limit_target_per_hour=0,
    )
    return Core(settings)


@pytest.fixture
def client(core: Core) -> Iterator[TestClient]:
    with TestClient(create_app(core.settings, core), base_url="https://testserver") as client:
        yield client
