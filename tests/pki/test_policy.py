"""The issuance policy as properties: names only from the inventory, fixed EKUs,
serials with at least 64 random bits, short lives."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner_api.pki.errors import IssuancePolicyError
from runner_api.pki.inventory import cert_host
from runner_api.pki.keys import generate
from runner_api.pki.policy import (
    MAX_VALIDITY_DAYS,
    MIN_SERIAL_BITS,
    Template,
    build,
    check_csr,
    new_serial,
)
from tests.pki.conftest import HOST, ScratchCa

# One key for every generated CSR: key generation is not what is under test.
_KEY = generate()
_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True)
_DNS = st.lists(_LABEL, min_size=1, max_size=3).map(".".join)
_EKUS = st.sampled_from(
    [
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.CLIENT_AUTH,
        ExtendedKeyUsageOID.CODE_SIGNING,
        ExtendedKeyUsageOID.SMARTCARD_LOGON,
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    ]
)


def _csr(
    cn: str, sans: list[x509.GeneralName], ekus: list[x509.ObjectIdentifier]
) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    return builder.sign(_KEY, hashes.SHA256())


def test_a_request_for_exactly_the_inventory_names_passes() -> None:
    check_csr(
        _csr("lab-host", HOST.general_names(), [ExtendedKeyUsageOID.SERVER_AUTH]),
        HOST,
        Template.SERVER,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cn=_DNS)
def test_any_other_common_name_is_refused(cn: str) -> None:
    if cn == HOST.common_name:
        return
    with pytest.raises(IssuancePolicyError):
        check_csr(_csr(cn, HOST.general_names(), []), HOST, Template.SERVER)


@settings(max_examples=300, deadline=None)
@given(extra=_DNS, upn=st.booleans())
def test_any_san_beyond_the_inventory_is_refused(extra: str, upn: bool) -> None:
    if extra in HOST.dns_names:
        return
    added: x509.GeneralName = (
        x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x05admin")
        if upn
        else x509.DNSName(extra)
    )
    with pytest.raises(IssuancePolicyError):
        check_csr(_csr("lab-host", [*HOST.general_names(), added], []), HOST, Template.SERVER)


@settings(max_examples=200, deadline=None)
@given(ip=st.ip_addresses(v=4))
def test_an_ip_san_not_in_the_inventory_is_refused(ip: ipaddress.IPv4Address) -> None:
    if str(ip) in HOST.ip_addresses:
        return
    sans = [*HOST.general_names(), x509.IPAddress(ip)]
    with pytest.raises(IssuancePolicyError):
        check_csr(_csr("lab-host", sans, []), HOST, Template.SERVER)


@settings(max_examples=100, deadline=None)
@given(
    ekus=st.lists(_EKUS, min_size=1, max_size=3, unique=True), template=st.sampled_from(Template)
)
def test_ekus_outside_the_template_are_refused(
    ekus: list[x509.ObjectIdentifier], template: Template
) -> None:
    allowed = {
        Template.SERVER: ExtendedKeyUsageOID.SERVER_AUTH,
        Template.CLIENT: ExtendedKeyUsageOID.CLIENT_AUTH,
    }
    csr = _csr("lab-host", [], ekus)
    if set(ekus) <= {allowed[template]}:
        check_csr(csr, HOST, template)
    else:
        with pytest.raises(IssuancePolicyError):
            check_csr(csr, HOST, template)


def test_issued_certificates_carry_only_policy_names_usages_and_life(ca: ScratchCa) -> None:
    cert, _ = ca.issue(days=MAX_VALIDITY_DAYS)
    assert cert.subject.rfc4514_string() == "CN=lab-host"
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans) == set(HOST.general_names())
    ekus = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert ekus == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= MAX_VALIDITY_DAYS
    client, _ = ca.issue(template=Template.CLIENT)
    assert list(client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]


@pytest.mark.parametrize("days", [0, -1, MAX_VALIDITY_DAYS + 1, 3650])
def test_a_longer_life_is_refused(ca: ScratchCa, days: int) -> None:
    with pytest.raises(IssuancePolicyError):
        build(HOST, Template.SERVER, generate().public_key(), ca.cert, days)


def test_ten_thousand_serials_are_unique_and_have_at_least_64_bits() -> None:
    serials = [new_serial() for _ in range(10_000)]
    assert len(set(serials)) == 10_000
    assert all(s > 0 for s in serials)
    # 159 random bits: a serial below 2**64 would mean fewer than 64 bits were used.
    assert min(s.bit_length() for s in serials) >= MIN_SERIAL_BITS
    assert max(s.bit_length() for s in serials) <= 159


def test_serials_of_issued_certificates_are_the_random_ones(ca: ScratchCa) -> None:
    serials = {ca.issue()[0].serial_number for _ in range(50)}
    assert len(serials) == 50 and min(s.bit_length() for s in serials) >= MIN_SERIAL_BITS


def test_names_come_from_the_inventory_and_unknown_hosts_are_refused(tmp_path: Path) -> None:
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    web1:\n      ansible_host: 10.0.0.5\n"
        "      fixline_cert_names: [web1.corp.test]\n      fixline_tls_port: 443\n"
    )
    host = cert_host(tmp_path, "web1")
    assert host.identity.common_name == "web1"
    assert host.identity.dns_names == ("web1", "web1.corp.test")
    assert (host.address, host.tls_port, host.platform) == ("10.0.0.5", 443, "linux")
    with pytest.raises(IssuancePolicyError, match="not in the customer's inventory"):
        cert_host(tmp_path, "dc1.corp.test")
