"""The `request_tracker` fixture: a real RT 5 (Debian packages) per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lab.process import LabError
from lab.rt import RequestTracker
from tests.plugins.server import free_port
from tests.plugins.webhooks import webhook_env


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


def rest_client(rt: RequestTracker) -> httpx.Client:
    """RT's REST 2 API as its root user (through the token made at init)."""
    return httpx.Client(
        base_url=f"{rt.url}/REST/2.0",
        headers={"Authorization": f"token {rt.token}"},
        timeout=30,
    )


def writing_back_to(rt: RequestTracker, sources: Path, **extra: str) -> dict[str, str]:
    """Settings of a server with these webhook sources, writing outcomes back to rt."""
    return webhook_env(
        sources,
        FIXLINE_RT_URL=rt.url,
        FIXLINE_RT_TOKEN=rt.token,
        FIXLINE_HEARTBEAT_S="0.5",
        **extra,
    )
