"""`fixline secrets set|list|import|rotate-key` as an operator types them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner, Result

from runner_api.cli import app
from runner_api.core import Core
from runner_api.secrets.credentials import FileCredentialSource, MailboxCredential
from runner_api.settings import Settings
from tests.secrets.apps import PROJECT_DIR
from tests.secrets.canary import assert_absent, canary, private_key


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "FIXLINE_DATA_DIR": str(tmp_path / "data"),
        "FIXLINE_PROJECT_DIR": str(PROJECT_DIR),
        "FIXLINE_CREDENTIALS_DIR": str(tmp_path / "no-credentials"),
    }


def _core(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Core:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    core = Core(Settings())
    core.open_store()
    return core


def _secrets(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, ["secrets", *args], env=env, input=stdin)


def test_set_reads_files_and_stdin_and_list_shows_placeholders(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret, key = canary("cli-pw"), private_key(canary("cli-key"))
    (tmp_path / "private_key").write_text(key)
    (tmp_path / "known_hosts").write_text("lab-host ssh-ed25519 AAAA\n")
    (tmp_path / "user").write_text("fixline\n")
    files = [
        f"--field={name}=@{tmp_path / name}" for name in ("user", "private_key", "known_hosts")
    ]
    ssh = _secrets(env, "set", "lab", "ssh", *files, "--by", "ops")
    assert ssh.exit_code == 0, ssh.output
    user = f"--field=username=@{tmp_path / 'user'}"
    mailbox = _secrets(env, "set", "lab", "mailbox", user, "--field=password=-", stdin=secret)
    assert mailbox.exit_code == 0, mailbox.output
    listed = _secrets(env, "list")
    assert listed.exit_code == 0
    assert "lab" in listed.output and "password=$encrypted$" in listed.output
    assert "private_key=$encrypted$" in listed.output and "ops" in listed.output
    assert_absent(ssh.output + mailbox.output + listed.output, secret, key)
    credentials = _core(env, monkeypatch).credentials
    assert credentials.mailbox_credential("lab").password.get_secret_value() == secret
    assert credentials.ssh_credential("lab").private_key.get_secret_value() == key
    assert credentials.ssh_credential("lab").user == "fixline"


def test_set_refuses_a_value_on_the_command_line(env: dict[str, str]) -> None:
    secret = canary("argv")
    fields = ("--field=username=-", f"--field=password={secret}")
    result = _secrets(env, "set", "lab", "mailbox", *fields, stdin="svc\n")
    assert result.exit_code == 2
    assert "visible to every user" in result.output and secret not in result.output


def test_import_then_rotate_key(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = canary("imported")
    folder = tmp_path / "handover"
    FileCredentialSource(folder).store_mailbox_credential(
        "contoso", MailboxCredential("svc", SecretStr(secret))
    )
    first = _secrets(env, "import", str(folder))
    assert first.exit_code == 0, first.output
    assert "imported 1 credential(s): contoso/mailbox" in first.output
    again = _secrets(env, "import", str(folder))
    assert "imported 0 credential(s)" in again.output
    key_file = Path(env["FIXLINE_DATA_DIR"]) / "secret.key"
    old_key = key_file.read_bytes()
    rotated = _secrets(env, "rotate-key")
    assert rotated.exit_code == 0, rotated.output
    assert "re-sealed 2 credentials.ciphertext" in rotated.output
    assert key_file.read_bytes() != old_key
    assert key_file.with_name("secret.key.old").read_bytes() == old_key
    assert_absent(first.output + again.output + rotated.output, secret)
    core = _core(env, monkeypatch)
    assert core.credentials.mailbox_credential("contoso").password.get_secret_value() == secret


def test_help_explains_each_command(env: dict[str, str]) -> None:
    top = _secrets(env, "--help").output
    for command in ("set", "list", "import", "rotate-key"):
        assert command in top
    set_help = _secrets(env, "set", "--help").output
    assert "NAME=@FILE" in set_help and "standard input" in set_help
