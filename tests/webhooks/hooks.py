"""Helpers of the webhook tests: settings of an in-process Core beside (or instead of) a
real server, signed bodies, and waiting for the runs a server starts after answering."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from runner_api.core import Core
from runner_api.settings import Settings
from runner_api.webhooks.service import Delivery
from runner_api.webhooks.signature import Scheme, Signed
from tests.plugins.lab import PROJECT_DIR
from tests.plugins.server import Server
from tests.plugins.webhooks import OLD_SECRET, SECRET, rows


def hook_settings(data_dir: Path, sources_file: Path, **changes: object) -> Settings:
    """Settings of a process on data_dir with the test sources; limits off unless changed."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "project_dir": PROJECT_DIR,
        "credentials_dir": data_dir.parent / "no-credentials",
        "webhook_sources_file": sources_file,
        "webhook_secrets": {name: [SECRET, OLD_SECRET] for name in ("generic", "helpdesk")},
        "rate_limit_requester_per_hour": 0,
        "rate_limit_target_per_hour": 0,
        "rate_limit_action_per_minute": 0,
        "approval_repeat_reset_s": 0,
        "workers": 1,
    }
    return Settings(**(values | changes))  # type: ignore[arg-type]


def body_of(payload: dict[str, object]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def verified(core: Core, key: str, payload: dict[str, Any], source: str = "generic") -> Delivery:
    """A delivery as the route hands it on once its v2 signature checked out, sent now."""
    found = core.sources.find(source)
    assert found is not None
    return Delivery(source, found, key, body_of(payload), Signed(int(time.time()), Scheme.V2))


def started_run(
    server: Server, run_id: str, statuses: set[str] | None = None, timeout: float = 60
) -> dict[str, Any]:
    """The run a delivery was answered with, once the starter has recorded it (404 before)
    and, if given, once it has one of `statuses`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = server.client.get(f"/runs/{run_id}")
        if answer.status_code == 200 and (statuses is None or answer.json()["status"] in statuses):
            run: dict[str, Any] = answer.json()
            return run
        assert answer.status_code in (200, 404), answer.text
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} was not started (or never reached {statuses})")


def wait_rows(
    server: Server, query: str, expected: list[tuple[Any, ...]], timeout: float = 60
) -> None:
    """Wait until a query on the server's store gives `expected` (runs start moments after
    their delivery is answered)."""
    deadline = time.monotonic() + timeout
    while (got := rows(server, query)) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"{query}: {got} != {expected}")
        time.sleep(0.05)
