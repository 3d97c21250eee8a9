"""A real tunnel: the granted profile brings an OpenVPN client up (in a network namespace on
this machine), then vpn_revoke drops the live session through the server's management
interface, and the revoked certificate cannot connect again."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lab import vpn
from runner_api.auth.principal import Role
from tests.api.conftest import wait_for_end
from tests.approvals.test_api import bearer
from tests.plugins.lab import LabHandle
from tests.vpn.test_vpn_lab import USER, _start
from tests.vpn.tunnel import (
    Client,
    client_netns,
    connected_clients,
    reaches_server_through_tunnel,
)

UP = "Initialization Sequence Completed"
SERVER_LOG = vpn.RUN_DIR / "server.log"


@pytest.fixture
def tunnel_link(lab: LabHandle) -> Iterator[None]:
    """The client namespace, linked to the lab's VPN server namespace (so after the lab)."""
    with client_netns():
        yield


def _gone_within(timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while USER in connected_clients():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _granted_profile(client: TestClient) -> str:
    senior = bearer(client, "sara", Role.SENIOR_AGENT, ["lab"])
    held = _start(client, "vpn_grant", "INC-803", username=USER)
    answer = client.post(f"/approvals/{held['id']}/approve", json={"comment": "ok"}, headers=senior)
    assert answer.status_code == 200, answer.text
    granted = wait_for_end(client, held["id"], timeout=120)
    assert granted["status"] == "succeeded", granted
    profile: str = client.post(f"/reveals/{granted['details']['reveal_id']}/download").text
    return profile


@pytest.mark.usefixtures("tunnel_link", "fresh_directory_lab")
def test_revoke_drops_a_live_tunnel_and_the_client_stays_out(client: TestClient) -> None:
    profile = _granted_profile(client)
    first = Client(profile)
    try:
        assert first.wait_for(UP, 20), first.text()
        assert USER in connected_clients()
        assert reaches_server_through_tunnel(), first.text()

        revoked = wait_for_end(client, _start(client, "vpn_revoke", "INC-803", username=USER)["id"])

        assert revoked["status"] == "succeeded", revoked
        assert "1 session(s) killed" in revoked["summary"], revoked["summary"]
        # HALT was pushed: the client exits by itself, it is not left to time out.
        assert first.process.wait(15) is not None
        assert "Halt command was pushed by server" in first.text(), first.text()
        # The server ends the instance a moment after pushing HALT.
        assert _gone_within(10), connected_clients()
    finally:
        first.close()

    # The same profile again: the server reads the new CRL at the handshake and says no.
    seen = len(SERVER_LOG.read_text(errors="replace"))
    second = Client(profile)
    try:
        assert not second.wait_for(UP, 8), second.text()
        refused = SERVER_LOG.read_text(errors="replace")[seen:]
        assert f"certificate revoked: CN={USER}" in refused, refused[-2000:]
        assert USER not in connected_clients()
    finally:
        second.close()
