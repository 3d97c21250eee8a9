"""A customer's issuing CA: created or imported, kept sealed in the credential store.

The CA key leaves the store only inside `sign` and `sign_crl`, as a local that is dropped
when they return; nothing here logs, returns or prints it. `CaInfo` is all anyone sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from runner_api.errors import FixlineError
from runner_api.pki.errors import BundleError, CaNotFoundError
from runner_api.pki.keys import SigningKey, load_private_key, private_pem, public_bytes
from runner_api.secrets.kinds import CredentialKind
from runner_api.secrets.store import EncryptedCredentialSource

CA_VALIDITY_DAYS = 10 * 365
# OpenVPN re-reads the CRL per connection and refuses every client once it has expired.
CRL_VALIDITY_DAYS = 30


@dataclass(frozen=True)
class CaInfo:
    """The public side of a customer's CA."""

    customer: str
    subject: str
    fingerprint_sha256: str
    not_after: datetime
    certificate_pem: str


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint as colon-separated upper-case hex (as `openssl x509` shows it)."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def info(customer: str, cert: x509.Certificate) -> CaInfo:
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return CaInfo(
        customer, cert.subject.rfc4514_string(), fingerprint(cert), cert.not_valid_after_utc, pem
    )


def new_ca(customer: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A fresh self-signed CA (EC P-256) for one customer."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Fixline"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Fixline CA {customer}"),
        ]
    )
    now = datetime.now(UTC)
    usage = x509.KeyUsage(
        digital_signature=True, key_encipherment=False, key_agreement=False,
        content_commitment=False, data_encipherment=False, key_cert_sign=True,
        crl_sign=True, encipher_only=False, decipher_only=False,
    )  # fmt: skip
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CA_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def check_ca_pair(cert: x509.Certificate, key: SigningKey) -> None:
    """Refuse an import that is not a usable CA with its own key."""
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        raise BundleError("the certificate is not a CA (no basicConstraints)") from None
    if not constraints.ca:
        raise BundleError("the certificate is not a CA (basicConstraints CA:FALSE)")
    if public_bytes(key.public_key()) != public_bytes(cert.public_key()):
        raise BundleError("the private key does not belong to the CA certificate")
    if cert.not_valid_after_utc <= datetime.now(UTC):
        raise BundleError("the CA certificate has expired")


def crl_pem(
    issuer: x509.Certificate, key: SigningKey, revoked: Iterable[tuple[int, datetime]]
) -> str:
    """A CRL of the revoked (serial, when) pairs, signed by the issuer's key."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=CRL_VALIDITY_DAYS))
        # Time-based, so numbers only grow, across processes too.
        .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
    )
    for serial, when in sorted(set(revoked)):
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


class CustomerCa:
    """Create, import, show and use the CAs kept in the credential store."""

    def __init__(self, credentials: EncryptedCredentialSource) -> None:
        self._credentials = credentials

    def create(self, customer: str, actor: str) -> CaInfo:
        cert, key = new_ca(customer)
        return self._store(customer, cert, key, actor)

    def import_pem(self, customer: str, cert_pem: str, key_pem: str, actor: str) -> CaInfo:
        """Import an existing CA (PEM certificate + PEM key, optionally encrypted)."""
        try:
            cert = x509.load_pem_x509_certificate(cert_pem.encode())
        except ValueError:
            raise BundleError("the CA certificate is not a PEM certificate") from None
        key = load_private_key(key_pem.encode())
        check_ca_pair(cert, key)
        return self._store(customer, cert, key, actor)

    def _store(self, customer: str, cert: x509.Certificate, key: SigningKey, actor: str) -> CaInfo:
        key_pem = private_pem(key)  # unencrypted PEM, sealed by the store with AES-GCM
        cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        fields = {"certificate": cert_pem, "private_key": key_pem}
        self._credentials.put(customer, CredentialKind.CA, fields, actor, channel="ca")
        return info(customer, cert)

    def certificate(self, customer: str) -> x509.Certificate:
        """The CA certificate (public); CaNotFoundError when the customer has none."""
        return x509.load_pem_x509_certificate(self._field(customer, "certificate").encode())

    def show(self, customer: str) -> CaInfo:
        return info(customer, self.certificate(customer))

    def sign(self, customer: str, builder: x509.CertificateBuilder) -> x509.Certificate:
        """Sign a certificate the policy built; the key exists only for this call."""
        return builder.sign(self._key(customer), hashes.SHA256())

    def sign_crl(self, customer: str, revoked: Iterable[tuple[int, datetime]]) -> str:
        """A fresh CRL (PEM) listing the revoked serials."""
        return crl_pem(self.certificate(customer), self._key(customer), revoked)

    def _key(self, customer: str) -> SigningKey:
        return load_private_key(self._field(customer, "private_key").encode())

    def _field(self, customer: str, name: str) -> str:
        try:
            values = self._credentials.values(customer, CredentialKind.CA)
        except FixlineError:
            raise CaNotFoundError(
                f"customer {customer!r} has no CA: run `fixline ca create {customer}` "
                f"or `fixline ca import {customer}`",
                customer=customer,
            ) from None
        return values[name].get_secret_value()
