"""Import a credentials folder (<root>/<customer>/{ssh,directory,mailbox,ca,graph}/...) into the
store, and remove what it imported.

The folder is how the lab and older installs hand credentials over; the service itself
reads only the store, which is the one source of truth. Importing is idempotent: an
unchanged credential is not rewritten, and a credential written to the store (API, CLI)
after the folder's files is kept, so a restart never silently reverts an admin's change.
Either way the credential's files are then overwritten and deleted: no plaintext copy
stays beside the encrypted store. Only a credential that could not be imported stays (it
is in no store yet), with a warning.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from runner_api.errors import FixlineError
from runner_api.secrets.credentials import FileCredentialSource
from runner_api.secrets.kinds import CredentialKind
from runner_api.secrets.store import (
    EncryptedCredentialSource,
    directory_fields,
    graph_fields,
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
    CredentialKind.GRAPH: lambda files, customer: graph_fields(files.graph_credential(customer)),
}


def import_folder(root: Path, store: EncryptedCredentialSource, actor: str = "import") -> list[str]:
    """Seal what the folder holds into the store; returns `customer/kind` of each import."""
    if not root.is_dir():
        return []
    files = FileCredentialSource(root)
    imported = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        for kind in READERS:
            if not (folder / kind.value).is_dir():
                continue
            done = _import_one(files, store, folder, kind, actor)
            if done is None:
                continue
            _remove(folder / kind.value)
            if done:
                imported.append(f"{folder.name}/{kind}")
        with contextlib.suppress(OSError):  # not empty: something stays for the operator
            folder.rmdir()
    return imported


def _remove(folder: Path) -> None:
    """Overwrite, sync and delete the files of a credential the store holds, then its
    folder. A symbolic link is only unlinked: its target is someone else's file."""
    for path in folder.iterdir():
        if path.is_file() and not path.is_symlink():
            with path.open("r+b") as handle:
                handle.write(bytes(path.stat().st_size))
                handle.flush()
                os.fsync(handle.fileno())
        if path.is_file() or path.is_symlink():
            path.unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()


def _import_one(
    files: FileCredentialSource,
    store: EncryptedCredentialSource,
    folder: Path,
    kind: CredentialKind,
    actor: str,
) -> bool | None:
    """True: imported; False: the store holds it already (unchanged, or newer); None: not
    importable, left in place."""
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
        log.warning(
            "did not import the %s credential of %r: %s; its files stay in plain text in %s "
            "until it is fixed or removed",
            kind,
            customer,
            exc.message,
            folder / kind.value,
        )
        return None
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
