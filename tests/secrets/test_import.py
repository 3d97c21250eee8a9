"""The import folder: sealed into the store at start, idempotent, values never logged."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from runner_api.secrets.credentials import FileCredentialSource, MailboxCredential
from runner_api.secrets.importer import import_folder
from runner_api.secrets.store import EncryptedCredentialSource
from tests.secrets.canary import assert_absent, canary


def _write(folder: Path, password: str) -> None:
    FileCredentialSource(folder).store_mailbox_credential(
        "lab", MailboxCredential("svc", SecretStr(password))
    )


def test_import_is_idempotent_and_logs_no_value(
    store: EncryptedCredentialSource, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret, folder = canary("folder"), tmp_path / "credentials"
    _write(folder, secret)
    (folder / "broken" / "ssh").mkdir(parents=True)
    with caplog.at_level(logging.INFO):
        assert import_folder(folder, store) == ["lab/mailbox"]
        assert import_folder(folder, store) == []
    assert "imported the mailbox credential of customer 'lab'" in caplog.text
    assert "did not import the ssh credential of 'broken'" in caplog.text
    assert_absent(caplog.text, secret)
    assert store.mailbox_credential("lab").password.get_secret_value() == secret
    assert import_folder(tmp_path / "absent", store) == []


def test_newer_folder_files_replace_and_a_newer_store_wins(
    store: EncryptedCredentialSource, tmp_path: Path
) -> None:
    folder = tmp_path / "credentials"
    _write(folder, "pw-first-1")
    import_folder(folder, store)
    time.sleep(0.01)
    _write(folder, "pw-second-2")  # e.g. `fixline lab up` made a new one
    assert import_folder(folder, store) == ["lab/mailbox"]
    assert store.mailbox_credential("lab").password.get_secret_value() == "pw-second-2"
    store.store_mailbox_credential("lab", MailboxCredential("svc", SecretStr("pw-admin-3")))
    _write(folder, "pw-stale-4")  # files written before the admin's change
    old = time.time() - 3600
    for path in (folder / "lab" / "mailbox").iterdir():
        os.utime(path, (old, old))
    assert import_folder(folder, store) == []
    assert store.mailbox_credential("lab").password.get_secret_value() == "pw-admin-3"
