"""vpn_grant and vpn_revoke on the lab: Samba AD group, the customer CA, Debian's OpenVPN
on the lab host over real SSH, the profile through a one-time reveal, and no key left."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from lab import vpn
from runner_api.auth.principal import Role
from runner_api.core import Core
from runner_api.pki.keys import load_private_key, public_bytes
from tests.api.conftest import wait_for_end
from tests.approvals.test_api import bearer
from tests.pki.leaks import assert_keys_absent, assert_keys_nowhere
from tests.pki.timing import print_timeline
from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.lab import LabHandle

USER = "ben.carter"


def _start(client: TestClient, action: str, ticket: str, **params: Any) -> dict[str, Any]:
    body = {"customer": "lab", "ticket_id": ticket, "action": action, "params": params}
    created = client.post("/runs", json=body)
    assert created.status_code == 202, created.text
    started: dict[str, Any] = created.json()
    return started


def _in_vpn_group(directory: DirectoryLabHandle) -> bool:
    groups = directory.user_state("lab", USER, ["memberOf"])["memberOf"]
    return any(g.startswith("CN=VPN-Users,") for g in groups)


def _section(profile: str, tag: str) -> bytes:
    found = re.search(rf"<{tag}>\n(.+?)\n</{tag}>", profile, re.DOTALL)
    assert found is not None, f"no <{tag}> in the profile"
    return found.group(1).encode()


def _crl() -> x509.CertificateRevocationList:
    return x509.load_pem_x509_crl((vpn.CONFIG_DIR / "crl.pem").read_bytes())


def test_grant_needs_approval_then_revoke_locks_the_user_out(
    client: TestClient,
    fresh_directory_lab: DirectoryLabHandle,
    lab: LabHandle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="runner_api")
    core: Core = client.app.state.core  # type: ignore[attr-defined]
    senior = bearer(client, "sara", Role.SENIOR_AGENT, ["lab"])
    assert not _in_vpn_group(fresh_directory_lab)
    started = time.monotonic()
    held = _start(client, "vpn_grant", "INC-801", username=USER)
    assert held["status"] == "awaiting_approval", held
    approved_at = time.monotonic()
    answer = client.post(f"/approvals/{held['id']}/approve", json={"comment": "ok"}, headers=senior)
    assert answer.status_code == 200, answer.text
    granted = wait_for_end(client, held["id"], timeout=120)
    now = time.monotonic()
    print(f"\nvpn_grant: {now - approved_at:.2f} s from approval, {now - started:.2f} s in all")
    print_timeline(client, granted)
    assert granted["status"] == "succeeded", granted
    assert _in_vpn_group(fresh_directory_lab)
    assert (vpn.CONFIG_DIR / "ccd" / USER).is_file()
    # The profile: a file, downloaded once by the requester and never shown; its certificate
    # is the server CA's and not revoked.
    reveal = f"/reveals/{granted['details']['reveal_id']}"
    assert granted["details"]["reveal_file"] == f"{USER}-lab.ovpn"
    shown = client.post(reveal)
    assert shown.status_code == 409  # asked to be shown: refused, nothing spent
    download = client.post(f"{reveal}/download")
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/x-openvpn-profile"
    assert (
        download.headers["content-disposition"] == f"attachment; filename*=UTF-8''{USER}-lab.ovpn"
    )
    assert download.headers["cache-control"] == "no-store"
    profile = download.text
    again = client.post(f"{reveal}/download")
    assert again.status_code == 410 and "already downloaded once, at " in again.text
    server_ca = x509.load_pem_x509_certificate((vpn.CONFIG_DIR / "ca.crt").read_bytes())
    assert x509.load_pem_x509_certificate(_section(profile, "ca")) == server_ca
    cert = x509.load_pem_x509_certificate(_section(profile, "cert"))
    cert.verify_directly_issued_by(server_ca)
    assert cert.subject.rfc4514_string() == f"CN={USER}"
    key_pem = _section(profile, "key")
    assert public_bytes(load_private_key(key_pem).public_key()) == public_bytes(cert.public_key())
    assert isinstance(server_ca.public_key(), ec.EllipticCurvePublicKey)
    assert _crl().is_signature_valid(server_ca.public_key())  # type: ignore[arg-type]
    assert _crl().get_revoked_certificate_by_serial_number(cert.serial_number) is None
    assert format(cert.serial_number, "x") == granted["details"]["certificate"]["serial"]

    revoked = wait_for_end(client, _start(client, "vpn_revoke", "INC-801", username=USER)["id"])
    assert revoked["status"] == "succeeded", revoked
    assert not _in_vpn_group(fresh_directory_lab)
    assert not (vpn.CONFIG_DIR / "ccd" / USER).exists()
    entry = _crl().get_revoked_certificate_by_serial_number(cert.serial_number)
    assert entry is not None and _crl().is_signature_valid(server_ca.public_key())  # type: ignore[arg-type]

    ca_key = (lab.credentials_dir / "lab" / "ca" / "private_key.pem").read_text()
    assert_keys_nowhere(core.settings.data_dir, core.db, ca_key, key_pem.decode())
    # Nor in any answer but the one download (events, audit records, the refusals), nor in
    # any log line of the service.
    run = f"/runs/{held['id']}"
    reads = [run, f"{run}/events?stream=false", "/audit/records?limit=500", reveal]
    answers = [shown.text, again.text, *(client.get(path).text for path in reads)]
    assert_keys_absent("\n".join([*answers, caplog.text]), ca_key, key_pem.decode())
