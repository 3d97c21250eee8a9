"""The issuance policy: who a certificate names and what it may be used for.

Names come from the verified inventory only; a requester names a host, never a subject.
Extended key usages come from a fixed allow-list per template, serials carry 159 random
bits from the OS CSPRNG, and no certificate lives longer than 397 days (the CA/B limit).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from runner_api.pki.actions import MAX_VALIDITY_DAYS
from runner_api.pki.errors import IssuancePolicyError

MIN_SERIAL_BITS = 64
# Backdating absorbs small clock differences between Fixline and the hosts.
_BACKDATE = timedelta(minutes=5)


class Template(StrEnum):
    SERVER = "server"
    CLIENT = "client"


ALLOWED_EKUS: dict[Template, frozenset[x509.ObjectIdentifier]] = {
    Template.SERVER: frozenset({ExtendedKeyUsageOID.SERVER_AUTH}),
    Template.CLIENT: frozenset({ExtendedKeyUsageOID.CLIENT_AUTH}),
}


@dataclass(frozen=True)
class Identity:
    """Who a certificate names: taken from the inventory (hosts) or the directory (users)."""

    common_name: str
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()

    def general_names(self) -> list[x509.GeneralName]:
        names: list[x509.GeneralName] = [x509.DNSName(name) for name in self.dns_names]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in self.ip_addresses]
        return names


def new_serial() -> int:
    """A positive serial with 159 bits from the OS CSPRNG."""
    return x509.random_serial_number()


def check_validity(days: int) -> None:
    if not 1 <= days <= MAX_VALIDITY_DAYS:
        raise IssuancePolicyError(f"validity must be 1 to {MAX_VALIDITY_DAYS} days, not {days}")


def check_csr(csr: x509.CertificateSigningRequest, identity: Identity, template: Template) -> None:
    """Refuse a CSR whose subject, SANs or EKUs are not exactly what the policy allows."""
    if not csr.is_signature_valid:
        raise IssuancePolicyError("the request's signature does not verify")
    attributes = list(csr.subject)
    cns = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(attributes) != 1 or len(cns) != 1 or cns[0].value != identity.common_name:
        raise IssuancePolicyError(
            f"the subject must be exactly CN={identity.common_name} (from the inventory)"
        )
    try:
        requested = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = list(requested)
    except x509.ExtensionNotFound:
        names = []
    if names and set(names) != set(identity.general_names()):
        raise IssuancePolicyError("the subject alternative names must be the inventory's names")
    try:
        ekus = set(csr.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        ekus = set()
    if not ekus <= ALLOWED_EKUS[template]:
        raise IssuancePolicyError(f"extended key usages outside the {template} template")
    known = {x509.SubjectAlternativeName.oid, x509.ExtendedKeyUsage.oid}
    if any(ext.oid not in known for ext in csr.extensions):
        raise IssuancePolicyError("the request asks for extensions the policy does not issue")


def build(
    identity: Identity,
    template: Template,
    public_key: CertificateIssuerPublicKeyTypes,
    issuer: x509.Certificate,
    days: int,
) -> x509.CertificateBuilder:
    """The certificate to sign: names, usages and life fixed by the policy alone."""
    check_validity(days)
    now = datetime.now(UTC)
    key_usage = x509.KeyUsage(
        digital_signature=True,
        key_encipherment=False,
        key_agreement=True,
        content_commitment=False,
        data_encipherment=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity.common_name)]))
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(new_serial())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage(sorted(ALLOWED_EKUS[template], key=str)), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    sans = identity.general_names()
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder
