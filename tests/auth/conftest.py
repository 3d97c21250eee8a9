"""An app whose agents log in against the helpdesk's accounts on the lab DC (real Samba)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lab.directory_data import LAB_USER_PASSWORD, LOCKOUT_THRESHOLD
from runner_api.app import create_app
from runner_api.audit.models import AuditRecord
from runner_api.core import Core
from runner_api.directory.login import LdapLoginDirectory, LoginDirectoryConfig
from runner_api.settings import Settings
from runner_api.types import utcnow
from tests.plugins.directory_lab import DirectoryLabHandle

PROJECT_DIR = Path(__file__).resolve().parents[2]


class CountingDirectory(LdapLoginDirectory):
    """The real ldap3 LoginDirectory, counting the binds it sends (every one goes through
    open_bound)."""

    def __init__(self, config: LoginDirectoryConfig) -> None:
        super().__init__(config)
        self.binds = 0

    def open_bound(self, user_dn: str, password: str) -> Any:
        self.binds += 1
        return super().open_bound(user_dn, password)


@dataclass
class Clock:
    """A settable clock for the session store: time moves only when a test says so."""

    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class AuthApp:
    client: TestClient
    core: Core
    directory: CountingDirectory
    clock: Clock

    def login(self, username: str, password: str = LAB_USER_PASSWORD) -> httpx.Response:
        return self.client.post("/auth/login", json={"username": username, "password": password})

    def audit(self, kind: str) -> list[dict[str, Any]]:
        with self.core.db.session() as session:
            rows = session.scalars(select(AuditRecord).where(AuditRecord.type == kind))
            return [
                {"actor": r.actor, "target": r.target, "data": json.loads(r.data)} for r in rows
            ]


@pytest.fixture
def make_settings(tmp_path: Path, directory_lab: DirectoryLabHandle) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "project_dir": PROJECT_DIR,
            "workers": 1,
            # Under the lab's lockout threshold: the limit, not Samba, stops guessing.
            "login_max_failures": LOCKOUT_THRESHOLD - 1,
            **directory_lab.lab.login_settings(),
        }
        return Settings(**(values | overrides))

    return make


@pytest.fixture
def make_app(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., AuthApp]]:
    """Builds an app (HTTPS base URL, so the Secure cookie travels) with a counting directory."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> AuthApp:
        settings = make_settings(**overrides)
        core = Core(settings)
        client = TestClient(create_app(settings, core), base_url="https://testserver")
        client.__enter__()
        clients.append(client)
        assert core.sessions.directory is not None
        directory = CountingDirectory(core.sessions.directory.config)  # type: ignore[attr-defined]
        core.sessions.directory = directory
        clock = Clock()
        core.sessions.clock = clock
        return AuthApp(client, core, directory, clock)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def auth_app(make_app: Callable[..., AuthApp]) -> AuthApp:
    return make_app()


@pytest.fixture
def lab_dc_restored(directory_lab: DirectoryLabHandle) -> Iterator[DirectoryLabHandle]:
    """For tests that change the helpdesk's accounts or send wrong passwords: the lab DC
    goes back to its template afterwards (group changes undone, bad-password counts gone)."""
    yield directory_lab
    directory_lab.reset("lab")
