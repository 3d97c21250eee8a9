"""`fixline secrets rotate-key`: re-seal every stored secret with a fresh key.

Order, so that no crash loses the key that opens the store:
1. the new key is written to `<key file>.new` (0600, fsync'd);
2. one transaction re-seals every credential field, every pending reveal and the key
   check value, and records `secrets.key_rotated` in the audit log;
3. the old key is kept as `<key file>.old` (0600), then `.new` replaces the key file.
A crash before 2 commits leaves the old key in force (`.new` is stray); a crash after it
leaves the new key in `.new`, which start-up names when the key file no longer fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from runner_api.audit.sink import AuditEvent, AuditSink
from runner_api.database import Database
from runner_api.reveals.models import Reveal
from runner_api.secrets.keys import (
    CHECK_ROW,
    SecretKey,
    new_key,
    seal_check,
    verify_key,
    write_key_file,
)
from runner_api.secrets.models import KeyCheck, StoredField
from runner_api.secrets.store import field_context


@dataclass(frozen=True)
class Rotation:
    """What a rotation re-sealed, and the key now in force."""

    credentials: int
    reveals: int
    key_id: str
    old_key_id: str
    key_file: Path


def rotate_key(
    db: Database, old: SecretKey, key_file: Path, actor: str, audit: AuditSink
) -> Rotation:
    """Re-seal everything with a fresh key and install it as key_file (see module doc)."""
    verify_key(db, old)
    new = new_key(f"FIXLINE_SECRET_KEY_FILE ({key_file})")
    staged = key_file.with_name(key_file.name + ".new")
    write_key_file(staged, new.material)
    old_box, new_box = old.box(), new.box()
    with db.session() as session:
        rows = session.scalars(select(StoredField).with_for_update()).all()
        for row in rows:
            context = field_context(row.customer, row.kind, row.field)
            row.ciphertext = new_box.seal(old_box.open(row.ciphertext, context), context)
            row.key_id = new.id
        pending = session.scalars(
            select(Reveal).where(Reveal.sealed.is_not(None)).with_for_update()
        ).all()
        for reveal in pending:
            assert reveal.sealed is not None
            # The context RevealService seals with.
            context = f"reveal:{reveal.id}"
            reveal.sealed = new_box.seal(old_box.open(reveal.sealed, context), context)
        check = session.get(KeyCheck, CHECK_ROW)
        assert check is not None  # verify_key sealed one
        fresh = seal_check(new)
        check.key_id, check.sealed, check.created_at = fresh.key_id, fresh.sealed, fresh.created_at
        audit.record(
            session,
            AuditEvent(
                type="secrets.key_rotated",
                actor=actor,
                outcome="rotated",
                data={
                    "credential_fields": len(rows),
                    "reveals": len(pending),
                    "old_key_id": old.id,
                    "key_id": new.id,
                },
            ),
        )
    # Committed: from here only the new key opens the store.
    write_key_file(key_file.with_name(key_file.name + ".old"), old.material)
    staged.replace(key_file)
    return Rotation(len(rows), len(pending), new.id, old.id, key_file)
