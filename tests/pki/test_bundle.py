"""A supplied bundle is validated before anything is pushed, and refused with the reason."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from runner_api.pki import bundle
from runner_api.pki.errors import BundleError
from runner_api.pki.keys import generate, private_pem
from runner_api.pki.policy import Identity, Template
from tests.pki.conftest import HOST, ScratchCa


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _refused(data: bytes, ca: ScratchCa, reason: str, password: bytes | None = None) -> None:
    with pytest.raises(BundleError, match=reason):
        bundle.check(bundle.parse(data, password), HOST, [ca.cert])


def test_a_good_pem_bundle_passes(ca: ScratchCa) -> None:
    cert, key = ca.issue()
    parsed = bundle.parse(_pem(cert) + private_pem(key).encode() + _pem(ca.cert))
    bundle.check(parsed, HOST, [ca.cert])
    assert parsed.leaf == cert and parsed.chain == (ca.cert,)


def test_a_good_pfx_passes_and_a_wrong_password_is_named(ca: ScratchCa) -> None:
    cert, key = ca.issue()
    pfx = pkcs12.serialize_key_and_certificates(
        b"x", key, cert, [ca.cert], serialization.BestAvailableEncryption(b"pfx-pass")
    )
    bundle.check(bundle.parse(base64.b64encode(pfx), b"pfx-pass"), HOST, [ca.cert])
    with pytest.raises(BundleError, match="PFX does not parse"):
        bundle.parse(pfx, b"wrong")


def test_garbage_and_missing_keys_are_named(ca: ScratchCa) -> None:
    cert, _ = ca.issue()
    with pytest.raises(BundleError, match="PFX does not parse"):
        bundle.parse(b"not a bundle at all")
    with pytest.raises(BundleError, match="exactly one private key, not 0"):
        bundle.parse(_pem(cert))


def test_a_key_of_another_certificate_is_refused(ca: ScratchCa) -> None:
    cert, _ = ca.issue()
    with pytest.raises(BundleError, match="does not match any certificate"):
        bundle.parse(_pem(cert) + private_pem(generate()).encode())


def test_a_chain_to_another_ca_is_refused(ca: ScratchCa, other_ca: ScratchCa) -> None:
    cert, key = other_ca.issue()
    _refused(_pem(cert) + private_pem(key).encode(), ca, "does not build to the customer's CA")


def test_an_expired_certificate_is_refused(ca: ScratchCa) -> None:
    key = generate()
    past = datetime.now(UTC) - timedelta(days=10)
    expired = (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string("CN=lab-host"))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(past - timedelta(days=30))
        .not_valid_after(past)
        .add_extension(x509.SubjectAlternativeName(HOST.general_names()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    _refused(_pem(expired) + private_pem(key).encode(), ca, "expired on")


def test_another_host_name_is_refused(ca: ScratchCa) -> None:
    cert, key = ca.issue(Identity("web9", dns_names=("web9.example.test",)))
    _refused(
        _pem(cert) + private_pem(key).encode(), ca, r"names \['web9.example.test'\], not lab-host"
    )


def test_a_client_certificate_is_refused_for_a_server(ca: ScratchCa) -> None:
    cert, key = ca.issue(template=Template.CLIENT)
    _refused(_pem(cert) + private_pem(key).encode(), ca, "does not allow serverAuth")


def test_a_ca_certificate_is_refused(ca: ScratchCa) -> None:
    _refused(_pem(ca.cert) + private_pem(ca.key).encode(), ca, "is a CA certificate")
