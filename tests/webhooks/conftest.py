"""An in-process Core with the webhook sources of tests.plugins.webhooks, not started: no
starter thread runs, so a test decides when accepted deliveries are started."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runner_api.core import Core
from tests.plugins.webhooks import SOURCES
from tests.webhooks.hooks import hook_settings


@pytest.fixture
def sources_file(tmp_path: Path) -> Path:
    path = tmp_path / "webhooks.yml"
    path.write_text(SOURCES)
    return path


@pytest.fixture
def hook_core(tmp_path: Path, sources_file: Path, database_url: str) -> Iterator[Core]:
    """A migrated Core on SQLite, then on PostgreSQL; its pool and starter are not running."""
    core = Core(hook_settings(tmp_path / "data", sources_file, database_url=database_url))
    core.open_store()
    yield core
    core.stop()
