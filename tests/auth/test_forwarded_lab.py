"""X-Forwarded-For is believed only from configured proxies, by a real `fixline serve`
(uvicorn) whose agents log in against the lab DC: the audit log and the per-address login
limit see the peer's address unless the peer is a trusted proxy."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.auth.conftest import PROJECT_DIR
from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.server import FIXLINE, free_port

TOKEN = "forwarded-token-0123456789abcdef"
FORGED = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]


@contextmanager
def _serve(
    tmp_path: Path, directory_lab: DirectoryLabHandle, **extra: str
) -> Iterator[httpx.Client]:
    port = free_port()
    env = {
        **os.environ,
        "FIXLINE_DATA_DIR": str(tmp_path / "data"),
        "FIXLINE_PROJECT_DIR": str(PROJECT_DIR),
        "FIXLINE_CREDENTIALS_DIR": str(tmp_path / "no-credentials"),
        "FIXLINE_BOOTSTRAP_TOKEN": TOKEN,
        "FIXLINE_PORT": str(port),
        "FIXLINE_WORKERS": "1",
        "FIXLINE_LOGIN_MAX_FAILURES_PER_ADDRESS": "2",
        **{
            f"FIXLINE_{name.upper()}": str(
                value.get_secret_value() if hasattr(value, "get_secret_value") else value
            )
            for name, value in directory_lab.lab.login_settings().items()
        },
        **extra,
    }
    log = (tmp_path / "serve.log").open("ab")
    process = subprocess.Popen([FIXLINE, "serve"], env=env, stdout=log, stderr=log)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "fixline serve did not come up"
            time.sleep(0.05)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(30)
        log.close()


def _failed_clients(tmp_path: Path) -> list[str | None]:
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'fixline.db'}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT data FROM audit_records WHERE type = 'auth.login_failed' ORDER BY seq")
            ).all()
    finally:
        engine.dispose()
    return [json.loads(row.data)["client"] for row in rows]


def _guess(client: httpx.Client, n: int) -> httpx.Response:
    # Unknown names: no account comes near the lab's lockout threshold.
    return client.post(
        "/auth/login",
        json={"username": f"nobody.xff{n}", "password": "Guess-1"},
        headers={"X-Forwarded-For": FORGED[n]},
    )


def test_a_forged_forwarded_for_from_loopback_changes_nothing(
    tmp_path: Path, directory_lab: DirectoryLabHandle
) -> None:
    with _serve(tmp_path, directory_lab) as client:
        answers = [_guess(client, n).status_code for n in range(3)]
    # One address (the real peer) made three failures: the third is over its limit.
    assert answers == [401, 401, 429]
    assert set(_failed_clients(tmp_path)) == {"127.0.0.1"}


def test_a_configured_proxy_is_believed(tmp_path: Path, directory_lab: DirectoryLabHandle) -> None:
    trusted = json.dumps(["127.0.0.1"])
    with _serve(tmp_path, directory_lab, FIXLINE_TRUSTED_PROXIES=trusted) as client:
        answers = [_guess(client, n).status_code for n in range(3)]
    assert answers == [401, 401, 401]
    assert _failed_clients(tmp_path) == FORGED


@pytest.mark.parametrize("value", ['["*"]', '["not an address"]'])
def test_a_proxy_setting_that_trusts_anyone_is_refused(value: str) -> None:
    from pydantic import ValidationError

    from runner_api.settings import Settings

    with pytest.raises(ValidationError):
        Settings.model_validate({"trusted_proxies": json.loads(value)})
