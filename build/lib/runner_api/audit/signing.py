"""The Ed25519 key that signs checkpoints, kept in a file outside the database."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from runner_api.audit.errors import AuditKeyError
from runner_api.private_files import DIR_MODE, create_private, tighten

_PREFIX = "fixline-audit-checkpoint/v1"


def checkpoint_message(seq: int, hash_: str, ts: str) -> bytes:
    """What a checkpoint signs: a versioned, newline-separated statement of the head."""
    return f"{_PREFIX}\n{seq}\n{hash_}\n{ts}\n".encode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """A public key exported by `fixline audit public-key`."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise AuditKeyError("the audit public key is not an Ed25519 key")
    return key


@dataclass(frozen=True)
class CheckpointVerifier:
    """Checks checkpoint signatures against one public key."""

    public: Ed25519PublicKey

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def valid(self, seq: int, hash_: str, ts: str, signature: str) -> bool:
        try:
            self.public.verify(base64.b64decode(signature), checkpoint_message(seq, hash_, ts))
        except (InvalidSignature, ValueError):
            return False
        return True


class CheckpointSigner:
    """Signs checkpoints; holds the private key in memory only."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.verifier = CheckpointVerifier(private.public_key())

    @property
    def key_id(self) -> str:
        return self.verifier.key_id

    def sign(self, seq: int, hash_: str, ts: str) -> str:
        return base64.b64encode(self._private.sign(checkpoint_message(seq, hash_, ts))).decode()


def load_or_create_signer(path: Path) -> CheckpointSigner:
    """The signer from a PEM key file, created (mode 0600) when it does not exist yet, and
    made 0600 again when found looser."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    try:
        fd = create_private(path)
    except FileExistsError:
        tighten(path)
    else:
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise AuditKeyError(f"cannot read the audit signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"the audit signing key {path} is not an Ed25519 key")
    return CheckpointSigner(key)
