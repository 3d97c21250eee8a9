"""The lab CA and the DC certificates it signs (clients verify TLS against this CA)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_VALID_DAYS = 3650
DC_VALID_DAYS = 825


@dataclass(frozen=True)
class DcTlsFiles:
    """Where one DC's TLS files are (smb.conf `tls cafile/certfile/keyfile`)."""

    folder: Path

    @property
    def ca_path(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def ca_key_path(self) -> Path:
        return self.folder / "ca-key.pem"

    @property
    def cert_path(self) -> Path:
        return self.folder / "cert.pem"

    @property
    def key_path(self) -> Path:
        return self.folder / "key.pem"

    def smb_options(self) -> list[str]:
        """samba-tool provision --option arguments pointing Samba at these files."""
        return [
            "--option=tls enabled=yes",
            f"--option=tls cafile={self.ca_path}",
            f"--option=tls certfile={self.cert_path}",
            f"--option=tls keyfile={self.key_path}",
        ]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Fixline lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    # Samba refuses a key file readable by others: keep the mode even if the file existed.
    path.chmod(mode)


def issue_dc_tls(files: DcTlsFiles, ca_name: str, tls_name: str, address: str) -> None:
    """A fresh CA and a DC certificate (SAN: DNS tls_name, IP address) signed by it.

    Each DC has its own CA, so one customer's CA does not vouch for another's DC.
    """
    files.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(ca_name))
        .issuer_name(_name(ca_name))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(files.ca_path, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    # Kept (0600, in the lab folder only) so tests can sign look-alike server certificates.
    _write(files.ca_key_path, _pem_key(ca_key), 0o600)
    cert_pem, key_pem = sign_server_cert(files, [tls_name], address)
    _write(files.cert_path, cert_pem, 0o644)
    _write(files.key_path, key_pem, 0o600)


def sign_server_cert(
    files: DcTlsFiles, dns_names: list[str], address: str | None = None
) -> tuple[bytes, bytes]:
    """A server certificate and its key (PEM) signed by the DC's lab CA (SAN: names, IP).

    Tests use it for look-alike servers (a right CA but a wrong name).
    """
    ca_cert = x509.load_pem_x509_certificate(files.ca_path.read_bytes())
    ca_key = serialization.load_pem_private_key(files.ca_key_path.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"{files.ca_key_path} is not the lab's EC CA key")
    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    if address is not None:
        names.append(x509.IPAddress(ipaddress.ip_address(address)))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(dns_names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=DC_VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


def certificate_days_left(cert_path: Path) -> float:
    """Days until the certificate in cert_path expires (negative once expired)."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    left = cert.not_valid_after_utc - dt.datetime.now(dt.UTC)
    return left.total_seconds() / 86400
