"""The secret key: where it comes from, which one it is, and proof it opens this store.

The key comes from FIXLINE_SECRET_KEY (base64 of 32 bytes) or from the key file
(FIXLINE_SECRET_KEY_FILE, default data_dir/secret.key), never from the database. The
database holds only a sealed known plaintext, so a wrong key stops start-up instead of
failing one run at a time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from runner_api.database import Database
from runner_api.errors import ConfigurationError
from runner_api.private_files import tighten
from runner_api.secrets.cipher import KEY_BYTES, SecretBox, load_or_create_key
from runner_api.secrets.models import KeyCheck
from runner_api.settings import Settings
from runner_api.types import utcnow

CHECK_PLAINTEXT = "fixline secret key check"
CHECK_CONTEXT = "secret-key-check"
CHECK_ROW = 1


@dataclass(frozen=True)
class SecretKey:
    """Key material and where it came from (for error messages; never the material)."""

    material: bytes = field(repr=False)
    source: str

    @property
    def id(self) -> str:
        """A fingerprint naming the key in rows and messages; reveals nothing of it."""
        return hmac.new(self.material, b"fixline key id", hashlib.sha256).hexdigest()[:16]

    def box(self) -> SecretBox:
        return SecretBox(self.material)


def load_key(settings: Settings) -> SecretKey:
    """The configured key: FIXLINE_SECRET_KEY, else the key file (created when missing)."""
    if settings.secret_key is not None:
        try:
            material = base64.b64decode(settings.secret_key.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            material = b""
        if len(material) != KEY_BYTES:
            raise ConfigurationError(
                f"FIXLINE_SECRET_KEY must be base64 of exactly {KEY_BYTES} bytes"
            )
        return SecretKey(material, "FIXLINE_SECRET_KEY")
    path = settings.resolved_secret_key_file
    key = SecretKey(load_or_create_key(path), f"FIXLINE_SECRET_KEY_FILE ({path})")
    for sibling in (staged_path(path), old_path(path)):
        tighten(sibling)  # keys of a rotation: as private as the key file
    return key


def staged_path(key_file: Path) -> Path:
    """Where a rotation's new key waits until the rows sealed with it are committed."""
    return key_file.with_name(key_file.name + ".new")


def old_path(key_file: Path) -> Path:
    """Where a rotation keeps the replaced key until the operator deletes it."""
    return key_file.with_name(key_file.name + ".old")


def verify_key(db: Database, key: SecretKey) -> None:
    """Prove key opens this store (the first start seals the check value); else stop."""
    try:
        with db.session() as session:
            check = session.get(KeyCheck, CHECK_ROW)
            if check is None:
                session.add(seal_check(key))
                return
            sealed, stored_id = check.sealed, check.key_id
    except IntegrityError:  # another process sealed it first: verify against theirs
        return verify_key(db, key)
    try:
        key.box().open(sealed, CHECK_CONTEXT)
    except ConfigurationError:
        raise ConfigurationError(
            f"the secret key from {key.source} (key id {key.id}) is not the key this store's "
            f"secrets were sealed with (key id {stored_id}). Restore that key into "
            "FIXLINE_SECRET_KEY_FILE or FIXLINE_SECRET_KEY; after an interrupted "
            "`fixline secrets rotate-key`, the key file's `.new` sibling holds it. "
            "Nothing is served until then.",
            expected_key_id=stored_id,
            key_id=key.id,
        ) from None


def seal_check(key: SecretKey) -> KeyCheck:
    """The check row for key."""
    return KeyCheck(
        id=CHECK_ROW,
        key_id=key.id,
        sealed=key.box().seal(CHECK_PLAINTEXT, CHECK_CONTEXT),
        created_at=utcnow(),
    )


def new_key(source: str) -> SecretKey:
    return SecretKey(secrets.token_bytes(KEY_BYTES), source)


def write_key_file(path: Path, material: bytes) -> None:
    """Write a key file atomically and durably (0600): readers see the old file or the new,
    never half, and a power cut keeps the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(material)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staged, path)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """Make renames in a folder durable: after a power cut the new name is there."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
