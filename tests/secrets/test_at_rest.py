"""What stays on disk: no plaintext copy of an imported credential, and private modes
(data folder 0700; database, its WAL files and the key files 0600) whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from pydantic import SecretStr

from runner_api.core import Core
from runner_api.pki.keys import generate, private_pem
from runner_api.secrets.credentials import (
    FileCredentialSource,
    MailboxCredential,
    SshCredential,
)
from runner_api.secrets.importer import import_folder
from runner_api.settings import Settings
from tests.secrets.apps import settings_without_lab
from tests.secrets.canary import CERTIFICATE, canary, private_key


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The umask most systems start services with (files 0644, folders 0755 by default)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _hand_over(folder: Path) -> dict[str, str]:
    """A credentials folder as the lab writes it; returns the secrets in it."""
    values = {
        "mailbox": canary("mailbox"),
        "ssh": private_key(canary("ssh")),
        "ca": private_pem(generate()),
    }
    files = FileCredentialSource(folder)
    files.store_mailbox_credential("lab", MailboxCredential("svc", SecretStr(values["mailbox"])))
    ssh = SshCredential("root", SecretStr(values["ssh"]), "lab-host ssh-ed25519 AAAA\n")
    files.store_ssh_credential("lab", ssh)
    files.store_ca("lab", CERTIFICATE, values["ca"])
    return values


def test_a_start_imports_the_folder_and_leaves_no_plaintext_copy(tmp_path: Path) -> None:
    settings = settings_without_lab(tmp_path, credentials_dir=tmp_path / "data" / "credentials")
    folder = settings.resolved_credentials_dir
    values = _hand_over(folder)
    core = Core(settings)
    core.start()
    core.stop()
    assert _files(folder) == [], "plaintext copies of imported credentials were left"
    store = core.credentials
    assert store.mailbox_credential("lab").password.get_secret_value() == values["mailbox"]
    assert store.ssh_credential("lab").private_key.get_secret_value() == values["ssh"]
    with (tmp_path / "data" / "fixline.db").open("rb") as handle:
        dump = handle.read()
    assert all(value.encode() not in dump for value in values.values())


def test_a_folder_written_again_unchanged_or_older_is_removed_too(tmp_path: Path) -> None:
    """The lab writes its folder at every start; the store stays the source of truth."""
    core = Core(settings_without_lab(tmp_path))
    core.open_store()
    folder = tmp_path / "handover"
    _hand_over(folder)
    assert sorted(import_folder(folder, core.credentials)) == ["lab/ca", "lab/mailbox", "lab/ssh"]
    values = _hand_over(folder)
    # Older than the store's copy: not imported, and gone as well.
    FileCredentialSource(folder).store_mailbox_credential(
        "lab", MailboxCredential("svc", SecretStr("stale-pw"))
    )
    core.credentials.store_mailbox_credential(
        "lab", MailboxCredential("svc", SecretStr(values["mailbox"]))
    )
    assert sorted(import_folder(folder, core.credentials)) == ["lab/ca", "lab/ssh"]
    assert _files(folder) == []
    assert (
        core.credentials.mailbox_credential("lab").password.get_secret_value()
        == (values["mailbox"])
    )


def test_a_credential_that_cannot_be_imported_is_left_where_it_is(tmp_path: Path) -> None:
    core = Core(settings_without_lab(tmp_path))
    core.open_store()
    folder = tmp_path / "handover"
    _hand_over(folder)
    (folder / "lab" / "ssh" / "known_hosts").unlink()
    assert sorted(import_folder(folder, core.credentials)) == ["lab/ca", "lab/mailbox"]
    # Not in the store: deleting it would lose it. Its files stay for the operator to fix.
    assert [path.name for path in _files(folder)] == ["private_key", "user"]


def _private_paths(settings: Settings) -> list[Path]:
    data = settings.data_dir
    return [
        data / "fixline.db",
        data / "fixline.db-wal",
        data / "fixline.db-shm",
        settings.resolved_secret_key_file,
        settings.resolved_audit_key_file,
    ]


def _assert_private_after_a_start(settings: Settings) -> None:
    core = Core(settings)
    core.start()
    try:
        assert _mode(settings.data_dir) == 0o700
        for path in _private_paths(settings):
            assert _mode(path) == 0o600, path
    finally:
        core.stop()


def test_a_start_with_umask_022_keeps_the_store_and_keys_private(
    tmp_path: Path, umask_022: None
) -> None:
    _assert_private_after_a_start(settings_without_lab(tmp_path))


def test_a_start_makes_looser_modes_private_again(tmp_path: Path, umask_022: None) -> None:
    settings = settings_without_lab(tmp_path)
    first = Core(settings)
    first.start()
    first.stop()
    # A connection left open keeps the WAL files, as a crash would.
    with closing(sqlite3.connect(settings.data_dir / "fixline.db")) as other:
        other.execute("CREATE TABLE IF NOT EXISTS scratch (x)")
        settings.data_dir.chmod(0o755)
        for path in _private_paths(settings):
            path.chmod(0o644)
        _assert_private_after_a_start(settings)
