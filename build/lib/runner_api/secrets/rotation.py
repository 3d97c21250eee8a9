"""`fixline secrets rotate-key`: re-seal every sealed value with a fresh key.

What is re-sealed is the registry (secrets/sealed.py, listed by `core.sealed_columns()`):
credentials, pending reveals, held approvals, queued runs, site jobs, accepted webhook
deliveries, and whatever a feature registers later. All or nothing: one transaction
re-seals every row of every registered column and the key check value, so at every
commit point the whole store opens with exactly one key, and no row needs to say which.
(Per table would leave a store half old, half new after a crash, and every reader would
have to try two keys.) The rows are the pending ones only, as each is wiped once used.

Order, so that no crash loses the key that opens the store:
1. the new key is written to `<key file>.new` (0600, fsync'd), before any row is sealed
   with it;
2. the one transaction commits (audited as `secrets.key_rotated`);
3. the old key is kept as `<key file>.old` (0600), then `.new` replaces the key file.
A crash before 2 commits leaves the old key in force (the stray `.new` is never used); a
crash between 2 and 3 leaves the new key in `.new`, and the next start installs it
(`adopt_staged_key`), as the key check value names it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from runner_api.audit.sink import AuditEvent, AuditSink
from runner_api.database import Database
from runner_api.secrets.keys import (
    CHECK_ROW,
    SecretKey,
    new_key,
    old_path,
    seal_check,
    staged_path,
    sync_folder,
    verify_key,
    write_key_file,
)
from runner_api.secrets.models import KeyCheck
from runner_api.secrets.sealed import SealedColumn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rotation:
    """What a rotation re-sealed (rows per `table.column`), and the key now in force."""

    resealed: dict[str, int]
    key_id: str
    old_key_id: str
    key_file: Path


def rotate_key(
    db: Database,
    old: SecretKey,
    key_file: Path,
    actor: str,
    audit: AuditSink,
    sealed: Sequence[SealedColumn],
) -> Rotation:
    """Re-seal every registered column with a fresh key and install it (see module doc)."""
    verify_key(db, old)
    new = new_key(f"FIXLINE_SECRET_KEY_FILE ({key_file})")
    write_key_file(staged_path(key_file), new.material)
    resealed = reseal(db, old, new, sealed, actor, audit)
    install_key(key_file, old, new)
    return Rotation(resealed, new.id, old.id, key_file)


def reseal(
    db: Database,
    old: SecretKey,
    new: SecretKey,
    sealed: Sequence[SealedColumn],
    actor: str,
    audit: AuditSink,
) -> dict[str, int]:
    """One transaction: every row of every column, and the key check value, sealed anew."""
    old_box, new_box = old.box(), new.box()
    resealed: dict[str, int] = {}
    with db.session() as session:
        check = session.get(KeyCheck, CHECK_ROW, with_for_update=True)
        assert check is not None  # verify_key sealed one
        fresh = seal_check(new)
        check.key_id, check.sealed, check.created_at = fresh.key_id, fresh.sealed, fresh.created_at
        # Written first: on SQLite this write takes the store's write lock before the rows
        # are read, so no row sealed with the old key can be added between read and write.
        session.flush()
        for entry in sealed:
            query = select(entry.model).where(entry.column.is_not(None)).with_for_update()
            rows = session.scalars(query).all()
            for row in rows:
                context = entry.context(row)
                plain = old_box.open(getattr(row, entry.column.key), context)
                setattr(row, entry.column.key, new_box.seal(plain, context))
                if entry.key_id is not None:
                    setattr(row, entry.key_id, new.id)
            resealed[entry.name] = len(rows)
        audit.record(
            session,
            AuditEvent(
                type="secrets.key_rotated",
                actor=actor,
                outcome="rotated",
                data={"resealed": resealed, "old_key_id": old.id, "key_id": new.id},
            ),
        )
    return resealed


def install_key(key_file: Path, old: SecretKey, new: SecretKey) -> None:
    """After the commit: keep the old key as `.old`, move `.new` over the key file."""
    write_key_file(old_path(key_file), old.material)
    try:
        staged_path(key_file).replace(key_file)
    except FileNotFoundError:
        # Another process (a start-up adopting it) installed it first.
        if key_file.read_bytes() != new.material:
            raise
    sync_folder(key_file.parent)


def adopt_staged_key(db: Database, key: SecretKey, key_file: Path) -> SecretKey:
    """The key in force: `key` from the key file, or the `.new` key of a rotation that
    committed but stopped before installing it (installed now)."""
    staged = staged_path(key_file)
    if not staged.exists():
        return key
    stored = _stored_key_id(db)
    if stored is None or stored == key.id:
        # The rotation did not commit: `.new` sealed nothing. Left alone, as a rotation may
        # be running right now; the next one overwrites it.
        return key
    candidate = SecretKey(staged.read_bytes(), key.source)
    if candidate.id != stored:
        return key  # neither fits: verify_key stops start-up and names the expected key
    install_key(key_file, key, candidate)
    log.warning(
        "completed an interrupted key rotation: key %s from %s is now in %s (the old key is in %s)",
        candidate.id,
        staged.name,
        key_file,
        old_path(key_file).name,
    )
    return candidate


def _stored_key_id(db: Database) -> str | None:
    """The key id the store's check value names; None before the store has one."""
    try:
        with db.session() as session:
            check = session.get(KeyCheck, CHECK_ROW)
            return check.key_id if check is not None else None
    except DBAPIError:  # not migrated yet: no table, so nothing was ever sealed
        return None
