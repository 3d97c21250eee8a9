"""AES-256-GCM for secrets kept at rest, bound by associated data to their row and field.

The key lives in a file (or comes from the environment), never in the database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from runner_api.errors import ConfigurationError
from runner_api.private_files import DIR_MODE, create_private, tighten

KEY_BYTES = 32
NONCE_BYTES = 12


class SecretBox:
    """Encrypts and decrypts small secrets with one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"the secret key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, context: str) -> bytes:
        """nonce + ciphertext of plaintext, bound to context (e.g. 'reveal:<id>')."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())

    def open(self, sealed: bytes, context: str) -> str:
        """The plaintext; ConfigurationError when the key or the context does not match."""
        try:
            plain = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())
        except InvalidTag as exc:
            raise ConfigurationError(
                "a stored secret cannot be decrypted: wrong key, or moved to another row"
            ) from exc
        return plain.decode()


def load_or_create_key(path: Path) -> bytes:
    """Read the key file (created 0600 with a fresh random key when missing; made 0600
    again when found looser)."""
    if not path.exists():
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        with os.fdopen(create_private(path), "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
    tighten(path)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ConfigurationError(f"secret key file {path} must hold exactly {KEY_BYTES} bytes")
    return key
