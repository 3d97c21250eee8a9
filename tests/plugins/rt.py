"""The `request_tracker` fixture: a real RT 5 (Debian packages) per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lab.process import LabError
from lab.rt import RequestTracker
from tests.plugins.server import free_port


@pytest.fixture(scope="session")
def request_tracker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RequestTracker]:
    """RT on a free port with its own folder; fails (never skips) when it cannot start."""
    rt = RequestTracker(tmp_path_factory.mktemp("rt"), port=free_port())
    try:
        rt.start()
    except LabError as exc:
        rt.stop()
        pytest.fail(
            f"Request Tracker did not start: {exc.message} (install it with "
            "`make system-deps` as root: request-tracker5 rt5-db-sqlite rt5-standalone)"
        )
    yield rt
    rt.stop()
