"""Import a credentials folder (<root>/<customer>/{ssh,directory,mailbox}/...) into the store.

The folder is how the lab and older installs hand credentials over; the service itself
reads only the store. Importing is idempotent: an unchanged credential is not rewritten,
and a credential written to the store (API, CLI) after the folder's files is kept, so a
restart never silently reverts an admin's change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from runner_api.errors import FixlineError
from runner_api.secrets.credentials import FileCredentialSource
from runner_api.secrets.schemas import CredentialKind
from runner_api.secrets.store import (
    EncryptedCredentialSource,
    directory_fields,
    mailbox_fields,
    ssh_fields,
)

log = logging.getLogger(__name__)

Reader = Callable[[FileCredentialSource, str], dict[str, str]]

READERS: dict[CredentialKind, Reader] = {
    CredentialKind.SSH: lambda files, customer: ssh_fields(files.ssh_credential(customer)),
    CredentialKind.DIRECTORY: lambda files, customer: directory_fields(
        files.directory_credential(customer)
    ),
    CredentialKind.MAILBOX: lambda files, customer: mailbox_fields(
        files.mailbox_credential(customer)
    ),
    CredentialKind.CA: lambda files, customer: files.ca_fields(customer),
}


def import_folder(root: Path, store: EncryptedCredentialSource, actor: str = "import") -> list[str]:
    """Seal what the folder holds into the store; returns `customer/kind` of each import."""
    if not root.is_dir():
        return []
    files = FileCredentialSource(root)
    imported = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        for kind in READERS:
            if (folder / kind.value).is_dir() and _import_one(files, store, folder, kind, actor):
                imported.append(f"{folder.name}/{kind}")
    return imported


def _import_one(
    files: FileCredentialSource,
    store: EncryptedCredentialSource,
    folder: Path,
    kind: CredentialKind,
    actor: str,
) -> bool:
    customer = folder.name
    try:
        fields = READERS[kind](files, customer)
        if _stored(store, customer, kind) == fields:
            return False
        stored_at = store.updated_at(customer, kind)
        written_at = _newest_file(folder / kind.value)
        if stored_at is not None and stored_at > written_at:
            log.warning(
                "kept the stored %s credential of customer %r: it is newer than the import "
                "folder's files",
                kind,
                customer,
            )
            return False
        store.put(customer, kind, fields, actor, channel="import")
    except FixlineError as exc:
        # One broken folder must not keep the others (or the service) from starting.
        log.warning("did not import the %s credential of %r: %s", kind, customer, exc.message)
        return False
    log.info(
        "imported the %s credential of customer %r (fields: %s)",
        kind,
        customer,
        ", ".join(sorted(fields)),
    )
    return True


def _stored(
    store: EncryptedCredentialSource, customer: str, kind: CredentialKind
) -> dict[str, str] | None:
    if store.updated_at(customer, kind) is None:
        return None
    return {name: value.get_secret_value() for name, value in store.values(customer, kind).items()}


def _newest_file(folder: Path) -> datetime:
    stamps = [path.stat().st_mtime for path in folder.iterdir() if path.is_file()]
    return datetime.fromtimestamp(max(stamps, default=0.0), UTC)
