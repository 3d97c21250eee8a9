"""Private keys: generate, load, serialize; the only place PEM key bytes are handled."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from runner_api.pki.errors import BundleError

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def generate() -> ec.EllipticCurvePrivateKey:
    """A new EC P-256 key (fast, and accepted by OpenSSL, OpenVPN and Windows alike)."""
    return ec.generate_private_key(ec.SECP256R1())


def private_pem(key: SigningKey) -> str:
    """PKCS#8 PEM, unencrypted: only for the host or the profile it goes to, never stored."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def load_private_key(data: bytes, password: bytes | None = None) -> SigningKey:
    """Load a PEM private key; BundleError (never the key text) when it is not one."""
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError):
        raise BundleError("the private key does not parse (or needs a passphrase)") from None
    return signing_key(key)


def signing_key(key: object) -> SigningKey:
    """The key as one of the types we sign and serve with; BundleError for others (DSA ...)."""
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise BundleError(f"unsupported private key type {type(key).__name__}")
    return key


def public_bytes(key: PublicKeyTypes) -> bytes:
    """The SubjectPublicKeyInfo DER of a key, for comparing a key with a certificate."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
