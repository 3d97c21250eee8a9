"""Certificates end to end on the lab host over real SSH: issue + install + handshake,
a supplied bundle (good and bad), the expiry report, and the CA CLI."""

from __future__ import annotations

import ssl
import stat
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from fastapi.testclient import TestClient

from lab import tls_service
from runner_api.core import Core
from runner_api.pki.authority import fingerprint
from runner_api.pki.keys import generate, load_private_key, private_pem
from runner_api.pki.policy import Identity, Template, build
from runner_api.pki.probe import SocketTlsProbe
from tests.api.conftest import wait_for_end
from tests.pki.leaks import assert_keys_nowhere
from tests.pki.timing import print_timeline
from tests.plugins.lab import LabHandle


def run(client: TestClient, action: str, ticket: str, **params: Any) -> dict[str, Any]:
    body = {"customer": "lab", "ticket_id": ticket, "action": action, "params": params}
    created = client.post("/runs", json=body)
    assert created.status_code == 202, created.text
    return wait_for_end(client, created.json()["id"], timeout=120)


def _served(ca_pem: str) -> x509.Certificate:
    return SocketTlsProbe().served_certificate("127.0.0.1", tls_service.PORT, "lab-host", ca_pem, 5)


def test_cert_issue_install_deploys_and_the_host_serves_it(client: TestClient) -> None:
    core: Core = client.app.state.core  # type: ignore[attr-defined]
    ca_pem = core.ca.show("lab").certificate_pem
    started = time.monotonic()
    ended = run(client, "cert_issue_install", "INC-701", host="lab-host", validity_days=30)
    elapsed = time.monotonic() - started
    print(f"\ncert_issue_install end to end: {elapsed:.2f} s")
    print_timeline(client, ended)
    assert ended["status"] == "succeeded", ended
    facts = ended["details"]["certificate"]
    assert ended["details"]["served"]["fingerprint_sha256"] == facts["fingerprint_sha256"]
    assert int(facts["serial"], 16).bit_length() >= 64 and facts["not_after"]
    served = _served(ca_pem)
    assert fingerprint(served) == facts["fingerprint_sha256"]
    names = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {"lab-host", "lab-host.lab.test"}
    assert stat.S_IMODE(tls_service.KEY.stat().st_mode) == 0o600
    # The CA is in the system trust store now: the default context trusts the host.
    with ssl.create_default_context().wrap_socket(
        __import__("socket").create_connection(("127.0.0.1", tls_service.PORT), 5),
        server_hostname="lab-host",
    ) as tls:
        assert tls.version() is not None


def _bundle(lab: LabHandle, identity: Identity, template: Template) -> str:
    ca_dir = lab.credentials_dir / "lab" / "ca"
    ca = x509.load_pem_x509_certificate((ca_dir / "certificate.pem").read_bytes())
    ca_key = load_private_key((ca_dir / "private_key.pem").read_bytes())
    key = generate()
    cert = build(identity, template, key.public_key(), ca, 20).sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    return cert.public_bytes(serialization.Encoding.PEM).decode() + private_pem(key)


def test_a_supplied_bundle_is_validated_then_installed(client: TestClient, lab: LabHandle) -> None:
    good = _bundle(lab, Identity("lab-host", dns_names=("lab-host",)), Template.SERVER)
    ended = run(client, "cert_install", "INC-702", host="lab-host", bundle=good)
    assert ended["status"] == "succeeded", ended
    assert "PRIVATE KEY" not in str(ended) and ended["params"]["bundle"] == "********"
    wrong_host = _bundle(lab, Identity("web9", dns_names=("web9.lab.test",)), Template.SERVER)
    refused = run(client, "cert_install", "INC-703", host="lab-host", bundle=wrong_host)
    assert refused["status"] == "refused"
    assert "names ['web9.lab.test'], not lab-host" in refused["error"]
    client_cert = _bundle(lab, Identity("lab-host", dns_names=("lab-host",)), Template.CLIENT)
    refused = run(client, "cert_install", "INC-704", host="lab-host", bundle=client_cert)
    assert refused["status"] == "refused" and "serverAuth" in refused["error"]


def test_the_expiry_report_lists_issued_and_served_certificates(client: TestClient) -> None:
    issued = run(client, "cert_issue_install", "INC-705", host="lab-host", validity_days=10)
    assert issued["status"] == "succeeded", issued
    report = run(client, "cert_expiry_report", "MON-1", within_days=15)
    assert report["status"] == "succeeded", report
    found = report["details"]["expiring"]
    serial = issued["details"]["certificate"]["serial"]
    assert {e["source"] for e in found} == {"issued", "host"}
    assert any(e.get("serial") == serial for e in found if e["source"] == "issued")
    none = run(client, "cert_expiry_report", "MON-2", within_days=1)
    assert none["details"]["expiring"] == []


def test_ca_show_prints_the_certificate_never_the_key(client: TestClient, tmp_path: Path) -> None:
    core: Core = client.app.state.core  # type: ignore[attr-defined]
    info = core.ca.show("lab")
    assert "BEGIN CERTIFICATE" in info.certificate_pem and "PRIVATE" not in repr(info)
    created = core.ca.create("contoso", "test")
    assert created.fingerprint_sha256 == core.ca.show("contoso").fingerprint_sha256


def test_no_private_key_is_left_in_the_store_logs_or_run_folders(
    client: TestClient, lab: LabHandle
) -> None:
    ended = run(client, "cert_issue_install", "INC-706", host="lab-host")
    assert ended["status"] == "succeeded", ended
    core: Core = client.app.state.core  # type: ignore[attr-defined]
    ca_key = (lab.credentials_dir / "lab" / "ca" / "private_key.pem").read_text()
    host_key = tls_service.KEY.read_text()
    events = client.get(f"/runs/{ended['id']}/events", params={"stream": False}).text
    assert "PRIVATE KEY" not in events + str(ended)
    assert_keys_nowhere(core.settings.data_dir, core.db, ca_key, host_key)
