"""`fixline reveal ID`: a run's one-time secret, once, to whoever started the run; a VPN
profile to a new 0600 file (--output), never to a terminal; refusals that lose nothing.
In-process (typer's CliRunner) on a store of its own, as `fixline run` leaves it; the
terminal case as a process of its own on a real pseudo-terminal."""

from __future__ import annotations

import getpass
import os
import pty
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from runner_api.auth.principal import local_user_id
from runner_api.cli import app
from runner_api.core import Core
from runner_api.settings import Settings
from tests.plugins.lab import PROJECT_DIR
from tests.plugins.server import FIXLINE
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


def _secret_of(
    core: Core,
    action: str,
    secret: str,
    requester_id: str | None = None,
    filename: str | None = None,
) -> str:
    """A run of `action` by this login (or `requester_id`) with a one-time secret."""
    me = requester_id or local_user_id(getpass.getuser())
    run = core.store.insert(make_run(action=action, requester_id=me, customer="lab"))
    return core.reveals.create(run.id, "someone@cli", me, secret, filename)


def _profile(core: Core) -> str:
    return _secret_of(core, "vpn_grant", PROFILE, filename="ben.carter-lab.ovpn")


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
    reveal_id = _profile(core)
    taken = tmp_path / "taken.ovpn"
    taken.write_text("mine")
    refused = _reveal(env, reveal_id, "--output", str(taken))
    assert refused.exit_code == 2 and "never overwritten" in refused.output
    assert taken.read_text() == "mine"
    out = tmp_path / "profile.ovpn"
    written = _reveal(env, reveal_id, "--out", str(out))
    assert written.exit_code == 0, written.output
    assert out.read_text() == PROFILE
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "canary-key" not in written.output
    again = _reveal(env, reveal_id, "-o", str(tmp_path / "again.ovpn"))
    assert again.exit_code == 1 and "already downloaded once, at " in again.output
    assert not (tmp_path / "again.ovpn").exists()


@pytest.mark.cli
def test_a_vpn_profile_goes_to_a_pipe_but_never_to_a_terminal(
    env: dict[str, str], core: Core
) -> None:
    reveal_id = _profile(core)
    # A real terminal on standard output: refused before anything is read.
    main, child = pty.openpty()
    try:
        refused = subprocess.run(
            [FIXLINE, "reveal", reveal_id],
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=child,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(child)
    on_screen = _drain(main)
    assert refused.returncode == 2, refused.stderr
    assert b"never printed to a terminal" in refused.stderr
    assert b"--output ben.carter-lab.ovpn" in refused.stderr
    assert b"canary-key" not in on_screen + refused.stderr
    assert core.reveals.state(reveal_id, local_user_id(getpass.getuser())) == "ready"
    # Standard output that is no terminal (a pipe, a redirect) gets the file.
    piped = _reveal(env, reveal_id)
    assert piped.exit_code == 0, piped.output
    assert piped.stdout == PROFILE


def _drain(fd: int) -> bytes:
    """What was written to the terminal (nothing more comes: the writer has ended)."""
    out = b""
    os.set_blocking(fd, False)
    try:
        while chunk := os.read(fd, 4096):
            out += chunk
    except (BlockingIOError, OSError):
        pass
    finally:
        os.close(fd)
    return out


def test_out_is_refused_for_a_password_before_anything_is_read(
    env: dict[str, str], core: Core, tmp_path: Path
) -> None:
    reveal_id = _secret_of(core, "password_reset", SECRET)
    refused = _reveal(env, reveal_id, "--output", str(tmp_path / "password.txt"))
    assert refused.exit_code == 2 and not (tmp_path / "password.txt").exists()
    assert _reveal(env, reveal_id).stdout == SECRET + "\n"
