"""Validation of a supplied certificate bundle (PEM or PFX) before anything is pushed.

Each check names the precise reason it failed; no message ever carries key material.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID

from runner_api.pki.errors import BundleError
from runner_api.pki.keys import SigningKey, load_private_key, public_bytes, signing_key
from runner_api.pki.policy import Identity

_PEM_KEY = re.compile(
    rb"-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----.+?-----END \1-----", re.DOTALL
)


@dataclass(frozen=True)
class Bundle:
    """A parsed bundle: the leaf, the rest of its chain and its key."""

    leaf: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    key: SigningKey


def parse(data: bytes, password: bytes | None = None) -> Bundle:
    """PEM (certificates + one key) or PFX (raw or base64); BundleError when it does not parse."""
    if b"-----BEGIN" in data:
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError:
            raise BundleError("the bundle holds no parsable PEM certificate") from None
        keys = _PEM_KEY.findall(data)
        if len(keys) != 1:
            raise BundleError(f"the bundle must hold exactly one private key, not {len(keys)}")
        match = _PEM_KEY.search(data)
        assert match is not None  # findall found one
        key = load_private_key(match.group(0), password)
    else:
        key, certs = _pfx(data, password)
    leaf = _leaf(certs, key)
    return Bundle(leaf, tuple(c for c in certs if c is not leaf), key)


def _pfx(data: bytes, password: bytes | None) -> tuple[SigningKey, list[x509.Certificate]]:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raw = data
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(raw, password)
    except ValueError:
        raise BundleError("the PFX does not parse (or the password is wrong)") from None
    if key is None or cert is None:
        raise BundleError("the PFX must hold a certificate and its private key")
    return signing_key(key), [cert, *extra]


def _leaf(certs: list[x509.Certificate], key: SigningKey) -> x509.Certificate:
    mine = public_bytes(key.public_key())
    for cert in certs:
        if public_bytes(cert.public_key()) == mine:
            return cert
    raise BundleError("the private key does not match any certificate of the bundle")


def check(bundle: Bundle, identity: Identity, roots: list[x509.Certificate]) -> None:
    """Refuse a bundle that is expired, misused, for another host or not from a trusted root."""
    leaf, now = bundle.leaf, datetime.now(UTC)
    if leaf.not_valid_after_utc <= now:
        raise BundleError(f"the certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}")
    if leaf.not_valid_before_utc > now:
        raise BundleError(f"the certificate is not valid before {leaf.not_valid_before_utc}")
    _check_usages(leaf)
    try:
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = set(sans.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        dns = set()
    wanted = {identity.common_name, *identity.dns_names}
    if not dns & wanted:
        raise BundleError(
            f"the certificate names {sorted(dns) or 'no DNS name'}, not {identity.common_name}"
        )
    if not roots:
        raise BundleError("the customer has no CA to validate the chain against")
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store(roots))
        .time(now)
        .build_server_verifier(x509.DNSName(sorted(dns & wanted)[0]))
    )
    try:
        verifier.verify(leaf, list(bundle.chain))
    except verification.VerificationError as exc:
        raise BundleError(f"the chain does not build to the customer's CA: {exc}") from None


def _check_usages(leaf: x509.Certificate) -> None:
    try:
        if leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise BundleError("the certificate is a CA certificate, not a server certificate")
    except x509.ExtensionNotFound:
        pass
    try:
        ekus = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    if ExtendedKeyUsageOID.SERVER_AUTH not in ekus:
        raise BundleError("the certificate's extended key usage does not allow serverAuth")
