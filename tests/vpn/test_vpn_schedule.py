"""A vpn_grant with an expiry schedules vpn_revoke on the same ticket; when it comes due the
service's own heartbeat starts it, and the lab's VPN server lists the certificate in its CRL
while the directory has the user out of the group."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from fastapi.testclient import TestClient

from lab import vpn
from runner_api.auth.principal import Role
from runner_api.settings import Settings
from tests.api.conftest import wait_for_end
from tests.approvals.test_api import bearer
from tests.plugins.directory_lab import DirectoryLabHandle
from tests.vpn.test_vpn_lab import USER, _crl, _in_vpn_group, _section, _start

# Long enough for the request, its approval and the grant's playbook (8 to 10 s on a
# 2-core test machine: an expiry of 8 s let the revoke run before the grant was checked),
# short enough to wait for.
EXPIRES_IN_S = 30
HEARTBEAT_S = 0.5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The lab app, its heartbeat (which starts due schedules) ticking every half second."""
    return settings.model_copy(update={"heartbeat_s": HEARTBEAT_S})


def _scheduled_revoke(client: TestClient, ticket: str, timeout: float) -> dict[str, Any]:
    """The vpn_revoke run the schedule started on the ticket, once it has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = client.get("/runs", params={"ticket_id": ticket, "action": "vpn_revoke"}).json()
        items = page["items"]
        if items:
            return wait_for_end(client, items[0]["id"], timeout=120)
        time.sleep(0.2)
    raise AssertionError(f"no vpn_revoke started on {ticket} within {timeout}s")


def test_an_expiring_grant_is_revoked_when_due(
    client: TestClient, fresh_directory_lab: DirectoryLabHandle
) -> None:
    senior = bearer(client, "sara", Role.SENIOR_AGENT, ["lab"])
    expires_at = datetime.now(UTC) + timedelta(seconds=EXPIRES_IN_S)
    held = _start(client, "vpn_grant", "INC-802", username=USER, expires_at=expires_at.isoformat())
    answer = client.post(f"/approvals/{held['id']}/approve", json={"comment": "ok"}, headers=senior)
    assert answer.status_code == 200, answer.text
    granted = wait_for_end(client, held["id"], timeout=120)
    assert granted["status"] == "succeeded", granted
    # Checked before the revoke is due, else a revoke that worked would look like a failed
    # grant: a machine this slow needs a longer EXPIRES_IN_S.
    assert datetime.now(UTC) < expires_at, f"the grant took over {EXPIRES_IN_S} s"
    assert _in_vpn_group(fresh_directory_lab)
    profile = client.post(f"/reveals/{granted['details']['reveal_id']}/download").text
    cert = x509.load_pem_x509_certificate(_section(profile, "cert"))
    # The client certificate ends with the access, at the latest a day after it.
    assert cert.not_valid_after_utc <= expires_at + timedelta(days=1)
    if datetime.now(UTC) < expires_at:
        # Not yet due: nothing revoked it early.
        assert _crl().get_revoked_certificate_by_serial_number(cert.serial_number) is None

    revoked = _scheduled_revoke(client, "INC-802", timeout=EXPIRES_IN_S + 60)

    assert revoked["status"] == "succeeded", revoked
    assert (revoked["channel"], revoked["requested_by"]) == ("schedule", granted["requested_by"])
    created = datetime.fromisoformat(revoked["created_at"])
    assert (created if created.tzinfo else created.replace(tzinfo=UTC)) >= expires_at
    assert not _in_vpn_group(fresh_directory_lab)
    assert not (vpn.CONFIG_DIR / "ccd" / USER).exists()
    server_ca = x509.load_pem_x509_certificate((vpn.CONFIG_DIR / "ca.crt").read_bytes())
    crl = _crl()
    assert crl.is_signature_valid(server_ca.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert revoked["details"]["revoked"] == [
        {"serial": format(cert.serial_number, "x"), "at": revoked["details"]["revoked"][0]["at"]}
    ]
