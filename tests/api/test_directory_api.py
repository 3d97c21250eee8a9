"""Directory fixes through the API against the real Samba DC: reset + reveal, unlock,
guardrails, the picker, and a grant that expires by a scheduled run."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import wait_for_end
from tests.plugins.directory_lab import DirectoryLabHandle

VERIFIED = {"method": "callback", "note": "called back on the number on record"}


def _run(client: TestClient, action: str, ticket: str, **params: Any) -> dict[str, Any]:
    body = {"customer": "lab", "ticket_id": ticket, "action": action, "params": params}
    created = client.post("/runs", json=body)
    assert created.status_code == 202, created.text
    return wait_for_end(client, created.json()["id"], timeout=60)


def _bind_result(lab: DirectoryLabHandle, user: str, password: str) -> tuple[int, str]:
    conn = lab.connection("lab", user, password)
    try:
        conn.bind()
        return int(conn.result["result"]), str(conn.result.get("message", ""))
    finally:
        conn.unbind()


def test_password_reset_reveals_once_and_forces_a_change(
    fresh_directory_lab: DirectoryLabHandle, client: TestClient, settings: Any
) -> None:
    run = _run(
        client, "password_reset", "INC-300", username="henry.moreau", caller_verification=VERIFIED
    )
    assert run["status"] == "succeeded", run
    assert run["changed"] is True
    reveal_id = run["details"]["reveal_id"]
    first = client.post(f"/reveals/{reveal_id}")
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    password = first.json()["password"]
    assert len(password) >= 16
    second = client.post(f"/reveals/{reveal_id}")
    assert second.status_code == 410
    # Only the new password works, and it must be changed at next logon (data 773).
    old = _bind_result(
        fresh_directory_lab, "henry.moreau", fresh_directory_lab["lab"].user_password
    )
    assert old[0] == 49 and "52e" in old[1]
    new = _bind_result(fresh_directory_lab, "henry.moreau", password)
    assert new[0] == 49 and "773" in new[1]
    # The password is nowhere: API answers, events, the store's files.
    events = client.get(f"/runs/{run['id']}/events", params={"stream": False}).text
    listed = client.get("/runs", params={"ticket_id": "INC-300"}).text
    assert password not in events + listed + client.get(f"/runs/{run['id']}").text
    data_dir = Path(settings.data_dir)
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


def test_unlock_of_a_locked_user(
    fresh_directory_lab: DirectoryLabHandle, client: TestClient
) -> None:
    user, password = "chloe.nguyen", fresh_directory_lab["lab"].user_password
    assert "775" in _bind_result(fresh_directory_lab, user, password)[1]
    run = _run(client, "account_unlock", "INC-301", username=user)
    assert run["status"] == "succeeded", run
    assert run["diff"]["before"] != run["diff"]["after"]
    assert _bind_result(fresh_directory_lab, user, password)[0] == 0


def test_protected_target_is_refused_with_its_reason(
    fresh_directory_lab: DirectoryLabHandle, client: TestClient
) -> None:
    run = _run(
        client, "password_reset", "INC-302", username="adm.nested", caller_verification=VERIFIED
    )
    assert run["status"] == "refused", run
    assert "protected" in run["error"] or "privileged" in run["error"]
    assert run["details"].get("reveal_id") is None


def test_picker_stays_inside_the_agent_ous(
    fresh_directory_lab: DirectoryLabHandle, client: TestClient
) -> None:
    found = client.get("/directory/users", params={"customer": "lab", "q": "ben"}).json()
    assert [u["username"] for u in found] == ["ben.carter"]
    assert client.get("/directory/users", params={"customer": "lab", "q": "svc"}).json() == []
    injected = client.get("/directory/users", params={"customer": "lab", "q": "*)(cn=*"})
    assert injected.status_code in (200, 422) and injected.json() in ([], injected.json())
    if injected.status_code == 200:
        assert injected.json() == []


def test_grant_with_expiry_is_revoked_by_a_scheduled_run(
    fresh_directory_lab: DirectoryLabHandle, client: TestClient
) -> None:
    expires = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
    run = _run(
        client, "group_add", "INC-303", username="ben.carter", group="VPN-Users", expires_at=expires
    )
    assert run["status"] == "succeeded", run
    deadline = time.monotonic() + 30
    revoke: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not revoke:
        runs = client.get("/runs", params={"ticket_id": "INC-303"}).json()["items"]
        revoke = [r for r in runs if r["action"] == "group_remove"]
        time.sleep(0.2)
    assert revoke, "the revoke was never started"
    ended = wait_for_end(client, revoke[0]["id"])
    assert (ended["status"], ended["channel"], ended["changed"]) == ("succeeded", "schedule", True)


def test_post_with_wait_answers_with_the_ended_run(
    fresh_directory_lab: DirectoryLabHandle, client: TestClient
) -> None:
    body = {
        "customer": "lab",
        "ticket_id": "INC-304",
        "action": "account_unlock",
        "params": {"username": "noah.fischer"},
    }
    began = time.monotonic()
    answer = client.post("/runs", params={"wait": 30}, json=body)
    assert answer.status_code == 202
    assert answer.json()["status"] == "succeeded", answer.json()
    assert time.monotonic() - began < 10


def test_reset_without_caller_verification_is_refused(client: TestClient) -> None:
    body = {
        "customer": "lab",
        "ticket_id": "INC-305",
        "action": "password_reset",
        "params": {"username": "henry.moreau"},
    }
    answer = client.post("/runs", json=body)
    assert answer.status_code == 422
    locs = [e["loc"] for e in answer.json()["error"]["details"]["errors"]]
    assert ["params", "caller_verification"] in locs
