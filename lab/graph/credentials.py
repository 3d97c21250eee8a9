"""App certificates for the simulator's apps (a customer keeps one as its credential)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from runner_api.secrets.credentials import GraphCredential

APP_CERT_DAYS = 365


@dataclass(frozen=True)
class AppCredential:
    """One app registration's certificate credential, as Fixline's credential store keeps it."""

    tenant_id: str
    client_id: str
    certificate_pem: str
    private_key_pem: str

    @property
    def thumbprint(self) -> str:
        """SHA-1 thumbprint in hex: what the Entra portal shows and msal's `thumbprint` wants."""
        return fingerprints(self.certificate_pem)[0]

    def msal_credential(self) -> dict[str, str]:
        """msal's client_credential for this certificate (RS256 with an x5t header)."""
        return {"private_key": self.private_key_pem, "thumbprint": self.thumbprint}

    def graph_credential(self, ca_pem: str) -> GraphCredential:
        """Fixline's `graph` credential for this app, trusting the simulator's CA."""
        return GraphCredential(
            self.tenant_id,
            self.client_id,
            self.certificate_pem,
            SecretStr(self.private_key_pem),
            ca_pem,
        )


def fingerprints(certificate_pem: str) -> tuple[str, str]:
    """(SHA-1, SHA-256) fingerprints of a PEM certificate, lower-case hex."""
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    # SHA-1 because x5t is defined as the SHA-1 thumbprint (RFC 7515), not for security.
    sha1 = cert.fingerprint(hashes.SHA1()).hex()  # noqa: S303
    return sha1, cert.fingerprint(hashes.SHA256()).hex()


def make_app_credential(tenant_id: str, client_id: str, name: str) -> AppCredential:
    """A fresh RSA key and a self-signed certificate for it (Entra takes self-signed ones)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=APP_CERT_DAYS))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return AppCredential(
        tenant_id,
        client_id,
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key_pem.decode(),
    )
