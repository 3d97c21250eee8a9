"""The hand-over routes on the app without the lab: a file is downloaded once as an
attachment and never answered as text; its state says whether its window has started, and
telling its requester starts it; a second download says when the first was."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from runner_api.auth.principal import Role
from runner_api.core import Core
from tests.approvals.test_api import bearer
from tests.authz.conftest import ADMIN_TOKEN
from tests.runs.factories import make_run

PROFILE = "client\ndev tun\n<key>\nCanary-Key-51c0de\n</key>\n"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_a_profile_is_downloaded_once_and_its_window_starts_when_told(
    client: TestClient, core: Core
) -> None:
    me = client.get("/auth/me", headers=ADMIN).json()["id"]
    held = {"approval": {"reasons": [], "status": "approved"}}
    run = core.store.insert(make_run(customer="lab", requester_id=me, details=held))
    reveal = "/reveals/" + core.reveals.create(run.id, "admin", me, PROFILE, "ben.carter-lab.ovpn")

    waiting = client.get(reveal, headers=ADMIN).json()
    assert (waiting["state"], waiting["filename"], waiting["told_at"]) == (
        "ready",
        "ben.carter-lab.ovpn",
        None,
    )
    shown = client.post(reveal, headers=ADMIN)
    assert shown.status_code == 409 and shown.json()["error"]["code"] == "reveal_kind"
    assert "Canary-Key" not in shown.text
    # Someone else (another agent of the customer) finds nothing there.
    other = bearer(client, "erin", Role.AGENT, ["lab"])
    assert client.post(f"{reveal}/download", headers=other).status_code == 404
    assert client.post(f"{reveal}/told", headers=other).status_code == 404

    told = client.post(f"{reveal}/told", headers=ADMIN).json()
    told_at = datetime.fromisoformat(told["told_at"])
    expires_at = datetime.fromisoformat(told["expires_at"])
    assert expires_at - told_at == timedelta(seconds=core.settings.reveal_ttl_s)

    download = client.post(f"{reveal}/download", headers=ADMIN)
    assert download.status_code == 200
    assert download.text == PROFILE
    assert download.headers["content-type"] == "application/x-openvpn-profile"
    assert download.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''ben.carter-lab.ovpn"
    )
    assert download.headers["cache-control"] == "no-store"
    again = client.post(f"{reveal}/download", headers=ADMIN)
    assert again.status_code == 410
    assert "already downloaded once, at " in again.json()["error"]["message"]
    assert client.get(reveal, headers=ADMIN).json()["state"] == "shown"
