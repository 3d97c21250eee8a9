"""The key: from the file or FIXLINE_SECRET_KEY; a wrong one stops start-up, nothing served."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from runner_api.app import create_app
from runner_api.core import Core
from runner_api.errors import ConfigurationError
from runner_api.secrets.credentials import MailboxCredential
from runner_api.settings import Settings
from tests.plugins.server import FIXLINE, free_port
from tests.secrets.apps import settings_without_lab


def _seal_one(settings: Settings, password: str = "pw-0123456789") -> None:  # noqa: S107
    core = Core(settings)
    core.open_store()
    core.credentials.store_mailbox_credential("lab", MailboxCredential("svc", SecretStr(password)))
    core.db.dispose()


def test_a_wrong_key_file_stops_start_up_and_nothing_is_served(tmp_path: Path) -> None:
    settings = settings_without_lab(tmp_path)
    _seal_one(settings)
    settings.resolved_secret_key_file.write_bytes(secrets.token_bytes(32))
    core = Core(settings)
    with pytest.raises(ConfigurationError, match="FIXLINE_SECRET_KEY_FILE") as caught:
        core.start()
    assert "not the key this store's secrets were sealed with" in caught.value.message
    assert not core.pool._threads, "workers started despite the wrong key"
    with (
        pytest.raises(ConfigurationError, match="FIXLINE_SECRET_KEY_FILE"),
        TestClient(create_app(settings)),
    ):
        pytest.fail("the app served with a wrong key")


@pytest.mark.server  # starts `fixline serve` itself
def test_fixline_serve_with_a_wrong_key_exits_and_never_answers(tmp_path: Path) -> None:
    settings = settings_without_lab(tmp_path)
    _seal_one(settings)
    port = free_port()
    env = {
        **os.environ,
        "FIXLINE_DATA_DIR": str(settings.data_dir),
        "FIXLINE_CREDENTIALS_DIR": str(settings.credentials_dir),
        "FIXLINE_PORT": str(port),
        "FIXLINE_SECRET_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    done = subprocess.run(
        [FIXLINE, "serve"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0
    assert "FIXLINE_SECRET_KEY" in done.stderr and "is not the key" in done.stderr
    assert "Uvicorn running" not in done.stderr


def test_the_key_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    monkeypatch.setenv("FIXLINE_SECRET_KEY", key)
    settings = settings_without_lab(tmp_path)
    _seal_one(settings, "pw-from-env-key")
    assert not settings.resolved_secret_key_file.exists(), "a key file was made"
    core = Core(settings_without_lab(tmp_path))
    core.open_store()
    assert core.credentials.mailbox_credential("lab").password.get_secret_value() == (
        "pw-from-env-key"
    )
    monkeypatch.setenv("FIXLINE_SECRET_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    with pytest.raises(ConfigurationError, match="from FIXLINE_SECRET_KEY "):
        Core(settings_without_lab(tmp_path)).open_store()


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_environment_key_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigurationError, match="FIXLINE_SECRET_KEY must be base64 of exactly"):
        Core(settings_without_lab(tmp_path, secret_key=bad))
