"""`fixline reveal ID`: a run's one-time secret, once, to whoever started the run; a VPN
profile to a new 0600 file; refusals that lose nothing. In-process (typer's CliRunner) on a
store of its own, as `fixline run` leaves it."""

from __future__ import annotations

import getpass
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from runner_api.auth.principal import local_user_id
from runner_api.cli import app
from runner_api.core import Core
from runner_api.settings import Settings
from tests.plugins.lab import PROJECT_DIR
from tests.runs.factories import make_run

SECRET = "canary-Reveal-7f3a9c"
PROFILE = "client\ndev tun\n<key>\ncanary-key-9d1e\n</key>\n"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "FIXLINE_DATA_DIR": str(tmp_path / "data"),
        "FIXLINE_PROJECT_DIR": str(PROJECT_DIR),
        "FIXLINE_CREDENTIALS_DIR": str(tmp_path / "no-credentials"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def core(env: dict[str, str]) -> Core:
    core = Core(Settings())
    core.open_store()
    return core


def _secret_of(core: Core, action: str, secret: str, requester_id: str | None = None) -> str:
    """A run of `action` by this login (or `requester_id`) with a one-time secret."""
    me = requester_id or local_user_id(getpass.getuser())
    run = core.store.insert(make_run(action=action, requester_id=me, customer="lab"))
    return core.reveals.create(run.id, "someone@cli", me, secret)


def _reveal(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(app, ["reveal", *args], env=env)


def test_shown_once_then_refused_with_when(env: dict[str, str], core: Core) -> None:
    reveal_id = _secret_of(core, "password_reset", SECRET)
    first = _reveal(env, reveal_id)
    assert first.exit_code == 0, first.output
    assert first.stdout == SECRET + "\n"
    again = _reveal(env, reveal_id)
    assert again.exit_code == 1
    assert "already shown once" in again.output and SECRET not in again.output


def test_another_persons_secret_is_not_shown(env: dict[str, str], core: Core) -> None:
    reveal_id = _secret_of(core, "password_reset", SECRET, requester_id="local:someone-else")
    result = _reveal(env, reveal_id)
    assert result.exit_code == 2 and SECRET not in result.output
    # Still there for its owner: nothing was spent.
    assert core.reveals.find(reveal_id) is not None


def test_a_vpn_profile_goes_to_a_new_private_file(
    env: dict[str, str], core: Core, tmp_path: Path
) -> None:
    reveal_id = _secret_of(core, "vpn_grant", PROFILE)
    taken = tmp_path / "taken.ovpn"
    taken.write_text("mine")
    refused = _reveal(env, reveal_id, "--out", str(taken))
    assert refused.exit_code == 2 and "never overwritten" in refused.output
    assert taken.read_text() == "mine"
    out = tmp_path / "profile.ovpn"
    written = _reveal(env, reveal_id, "--out", str(out))
    assert written.exit_code == 0, written.output
    assert out.read_text() == PROFILE
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "canary-key" not in written.output


def test_out_is_refused_for_a_password_before_anything_is_read(
    env: dict[str, str], core: Core, tmp_path: Path
) -> None:
    reveal_id = _secret_of(core, "password_reset", SECRET)
    refused = _reveal(env, reveal_id, "--out", str(tmp_path / "password.txt"))
    assert refused.exit_code == 2 and not (tmp_path / "password.txt").exists()
    assert _reveal(env, reveal_id).stdout == SECRET + "\n"
