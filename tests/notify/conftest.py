"""A real SMTP server (aiosmtpd) on a free loopback port, and apps of the lab that mail it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from runner_api.app import create_app
from runner_api.settings import Settings
from tests.api.conftest import AUTH, TOKEN
from tests.plugins.lab import LabHandle


def notify_settings(data_dir: Path, lab: LabHandle, smtp_port: int | None) -> Settings:
    """Settings of an app on the lab that mails 127.0.0.1:smtp_port (None: no SMTP server)."""
    smtp: dict[str, Any] = {}
    if smtp_port is not None:
        smtp = {"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_security": "none"}
    return Settings(
        data_dir=data_dir,
        project_dir=lab.project_dir,
        credentials_dir=lab.hand_over(data_dir / "credentials"),
        bootstrap_token=TOKEN,  # type: ignore[arg-type]
        workers=2,
        heartbeat_s=0.5,
        notify_from="fixline@lab.test",
        notify_backoff_s=0.5,
        smtp_timeout_s=5,
        **smtp,
    )


@dataclass
class Apps:
    """Opens apps on one data folder (a second app sees the first one's outbox)."""

    data_dir: Path
    lab: LabHandle
    opened: list[TestClient] = field(default_factory=list)

    def open(self, smtp_port: int | None) -> TestClient:
        client = TestClient(create_app(notify_settings(self.data_dir, self.lab, smtp_port)))
        client.headers.update(AUTH)
        client.__enter__()
        self.opened.append(client)
        return client

    def close(self, client: TestClient) -> None:
        """Stop an app (its lifespan ends: workers, heartbeat and relay stop)."""
        self.opened.remove(client)
        client.__exit__(None, None, None)


@pytest.fixture
def apps(tmp_path: Path, lab: LabHandle) -> Iterator[Apps]:
    made = Apps(tmp_path / "data", lab)
    yield made
    for client in reversed(made.opened):
        client.__exit__(None, None, None)
