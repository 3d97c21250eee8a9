"""rotate-key: everything opens with the new key and nothing with the old; reveals survive."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from runner_api.audit.log import AuditLog
from runner_api.core import Core, sealed_columns
from runner_api.database import Database
from runner_api.errors import ConfigurationError
from runner_api.reveals.models import Reveal
from runner_api.reveals.service import RevealService
from runner_api.runs.store import RunStore
from runner_api.secrets.credentials import DirectoryCredential, MailboxCredential
from runner_api.secrets.keys import SecretKey, new_key, verify_key, write_key_file
from runner_api.secrets.models import StoredField
from runner_api.secrets.rotation import reseal, rotate_key, staged_path
from runner_api.secrets.store import EncryptedCredentialSource, field_context
from tests.runs.factories import make_run
from tests.secrets.apps import settings_without_lab
from tests.secrets.canary import CERTIFICATE

TEMP_PASSWORD = "Temp-Pw-rotation-0042"


def test_rotation_reseals_credentials_and_reveals(
    database: Database,
    key: SecretKey,
    store: EncryptedCredentialSource,
    audit: AuditLog,
    tmp_path: Path,
) -> None:
    store.store_mailbox_credential("lab", MailboxCredential("svc", SecretStr("pw-mailbox-1")))
    directory = DirectoryCredential("CN=svc", SecretStr("pw-directory-2"), CERTIFICATE)
    store.store_directory_credential("contoso", directory)
    run = RunStore(database).insert(make_run(1, requested_by="alice"))
    reveal_id = RevealService(database, key.box(), ttl_s=300).create(
        run.id, "alice", "test:alice", TEMP_PASSWORD
    )
    key_file = tmp_path / "keys" / "secret.key"
    write_key_file(key_file, key.material)

    done = rotate_key(database, key, key_file, "admin", audit, sealed_columns())

    assert done.resealed["credentials.ciphertext"] == 5
    assert done.resealed["reveals.sealed"] == 1
    assert done.old_key_id == key.id
    new = SecretKey(key_file.read_bytes(), "test")
    assert new.id == done.key_id != key.id
    old_copy = key_file.with_name("secret.key.old")
    assert old_copy.read_bytes() == key.material
    for path in (key_file, old_copy):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not key_file.with_name("secret.key.new").exists()

    rotated = EncryptedCredentialSource(database, new)
    assert rotated.mailbox_credential("lab").password.get_secret_value() == "pw-mailbox-1"
    assert rotated.directory_credential("contoso").ca_pem == CERTIFICATE
    verify_key(database, new)
    with pytest.raises(ConfigurationError, match="is not the key"):
        verify_key(database, key)
    old_box = key.box()
    with database.session() as session:
        rows = session.scalars(select(StoredField)).all()
        assert {row.key_id for row in rows} == {new.id}
        for row in rows:
            with pytest.raises(ConfigurationError):
                old_box.open(row.ciphertext, field_context(row.customer, row.kind, row.field))
        reveal = session.get(Reveal, reveal_id)
        assert reveal is not None and reveal.sealed is not None
        with pytest.raises(ConfigurationError):
            old_box.open(reveal.sealed, f"reveal:{reveal_id}")
    assert RevealService(database, new.box(), ttl_s=300).consume(
        reveal_id, "alice", "test:alice"
    ) == (TEMP_PASSWORD)


def test_a_rotation_with_the_wrong_key_changes_nothing(
    database: Database, store: EncryptedCredentialSource, audit: AuditLog, tmp_path: Path
) -> None:
    store.store_mailbox_credential("lab", MailboxCredential("svc", SecretStr("pw-mailbox-1")))
    stranger = SecretKey(bytes(32), "test")
    key_file = tmp_path / "secret.key"
    with pytest.raises(ConfigurationError):
        rotate_key(database, stranger, key_file, "admin", audit, sealed_columns())
    assert not key_file.exists() and not key_file.with_name("secret.key.new").exists()
    assert store.mailbox_credential("lab").password.get_secret_value() == "pw-mailbox-1"


def _stopped_rotation(core: Core, commit: bool) -> SecretKey:
    """A rotation that died after writing `.new`, and after its commit when `commit`."""
    key_file = core.settings.resolved_secret_key_file
    new = new_key("test")
    write_key_file(staged_path(key_file), new.material)
    if commit:
        reseal(core.db, core.secret_key, new, sealed_columns(), "ops", core.audit)
    return new


@pytest.mark.parametrize("committed", [True, False], ids=["after-commit", "before-commit"])
def test_a_rotation_that_died_midway_loses_nothing(tmp_path: Path, committed: bool) -> None:
    settings = settings_without_lab(tmp_path)
    first = Core(settings)
    first.open_store()
    first.credentials.store_mailbox_credential("lab", MailboxCredential("svc", SecretStr("pw-1")))
    old = first.secret_key
    new = _stopped_rotation(first, committed)
    first.stop()

    again = Core(settings)
    again.open_store()  # verify_key: the key in force opens the store
    password = again.credentials.mailbox_credential("lab").password.get_secret_value()
    assert password == "pw-1"
    key_file = settings.resolved_secret_key_file
    if committed:
        # The next start finished the rotation: the new key installed, the old one kept.
        assert again.secret_key.id == new.id
        assert key_file.read_bytes() == new.material
        assert key_file.with_name("secret.key.old").read_bytes() == old.material
        assert not staged_path(key_file).exists()
    else:
        assert again.secret_key.id == old.id
        assert key_file.read_bytes() == old.material
    again.stop()
