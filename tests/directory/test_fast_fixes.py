"""Directory fixes through the API on the fast tier: the real Core, routes, policy and audit,
with FakeDirectory for the DC. What tests/api/test_directory_api.py and the *_lab.py tests
here check against Samba, checked in-process: reset and reveal, unlock, check mode, the
guardrails, the allow-list, lost answers and an unreachable DC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lab.directory_data import LAB_USER_PASSWORD
from runner_api.core import Core
from runner_api.settings import Settings
from tests.directory.conftest import VERIFIED
from tests.fakes import FakeDirectory
from tests.plugins.fakes import Fakes, audit_types, refused_at_start, run_fix, start


def _events(client: TestClient, run: dict[str, Any]) -> list[dict[str, Any]]:
    answer = client.get(f"/runs/{run['id']}/events", params={"stream": False})
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()
    return events


def test_unlock_of_a_locked_user(fast_client: TestClient, fakes: Fakes) -> None:
    directory = fakes.directory
    assert directory.bind("lab", "chloe.nguyen", LAB_USER_PASSWORD) == (49, "775")
    run = run_fix(fast_client, "account_unlock", "INC-300", username="chloe.nguyen")
    assert run["status"] == "succeeded", run
    assert run["changed"] and run["summary"] == "chloe.nguyen unlocked"
    assert run["diff"] == {"before": {"locked": True}, "after": {"locked": False}}
    assert directory.bind("lab", "chloe.nguyen", LAB_USER_PASSWORD) == (0, None)
    assert [e["kind"] for e in _events(fast_client, run)] == ["lookup", "guardrails", "change"]
    # The owner and the manager are told; without a mail server the notices wait.
    notices = run["details"]["notifications"]
    assert [(n["to"], n["status"]) for n in notices] == [
        ("owner", "pending"),
        ("manager", "pending"),
    ]
    assert audit_types(fast_client, run["id"]) == ["run.requested", "run.running", "run.succeeded"]
    again = run_fix(fast_client, "account_unlock", "INC-300", username="chloe.nguyen")
    assert (again["status"], again["changed"]) == ("succeeded", False)
    assert again["summary"] == "no change: chloe.nguyen is not locked"


def test_password_reset_reveals_once_and_must_be_changed(
    fast_client: TestClient, fakes: Fakes, fast_settings: Settings
) -> None:
    run = run_fix(
        fast_client, "password_reset", "INC-301", username="henry.moreau",
        caller_verification=VERIFIED,
    )  # fmt: skip
    assert run["status"] == "succeeded", run
    assert run["changed"] is True
    assert run["diff"] == {
        "before": {"must_change_password": False, "password_set": False},
        "after": {"must_change_password": True, "password_set": True},
    }
    reveal_id = run["details"]["reveal_id"]
    first = fast_client.post(f"/reveals/{reveal_id}")
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    password = first.json()["password"]
    assert len(password) >= 16
    assert fast_client.post(f"/reveals/{reveal_id}").status_code == 410
    # Only the new password works, and it must be changed at next logon (data 773).
    assert fakes.directory.bind("lab", "henry.moreau", LAB_USER_PASSWORD) == (49, "52e")
    assert fakes.directory.bind("lab", "henry.moreau", password) == (49, "773")
    assert fakes.directory.attributes("lab", "henry.moreau")["pwdlastset"] == ["0"]
    answers = [
        fast_client.get(f"/runs/{run['id']}").text,
        fast_client.get("/runs", params={"ticket_id": "INC-301"}).text,
        fast_client.get(f"/runs/{run['id']}/events", params={"stream": False}).text,
        fast_client.get("/audit/records", params={"run_id": run["id"]}).text,
    ]
    assert not [answer for answer in answers if password in answer]
    for path in Path(fast_settings.data_dir).rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


def test_check_mode_previews_with_a_diff_and_writes_nothing(
    fast_client: TestClient, fakes: Fakes
) -> None:
    unlock = run_fix(
        fast_client, "account_unlock", "INC-302", check_mode=True, username="chloe.nguyen"
    )
    assert (unlock["status"], unlock["changed"]) == ("succeeded", False)
    assert unlock["summary"] == "would unlock chloe.nguyen" and unlock["check_mode"] is True
    assert unlock["diff"] == {"before": {"locked": True}, "after": {"locked": False}}
    reset = run_fix(
        fast_client, "password_reset", "INC-302", check_mode=True, username="grace.kim",
        unlock=True, caller_verification=VERIFIED,
    )  # fmt: skip
    assert reset["summary"] == "would reset the password of grace.kim; unlocked"
    assert reset["diff"]["before"]["locked"] is True and "reveal_id" not in reset["details"]
    group = run_fix(
        fast_client, "group_add", "INC-302", check_mode=True, username="ben.carter",
        group="VPN-Users",
    )  # fmt: skip
    assert group["summary"] == "would add ben.carter to VPN-Users"
    assert fakes.directory.writes == []
    assert fakes.directory.bind("lab", "chloe.nguyen", LAB_USER_PASSWORD) == (49, "775")


@pytest.mark.parametrize(
    ("username", "reason"),
    [
        ("adm.domainadmins", "member (direct or nested) of Domain Admins"),
        ("adm.nested", "member (direct or nested) of Domain Admins"),
        ("adm.backupops", "member (direct or nested) of Backup Operators"),
        ("adm.stale", "adminCount=1"),
        ("walter.king", "deny list"),
        ("sophie.turner", "protected group Payroll-Admins"),
    ],
)
def test_protected_and_deny_listed_targets_are_refused_and_recorded(
    fast_client: TestClient, fakes: Fakes, username: str, reason: str
) -> None:
    run = run_fix(
        fast_client, "password_reset", "INC-303", username=username, unlock=True,
        caller_verification=VERIFIED,
    )  # fmt: skip
    assert run["status"] == "refused", run
    assert "protected account" in run["error"] and reason in run["error"]
    assert "nothing was changed" in run["error"]
    assert run["details"] == {"refused_by": "protected_target"} and not run["changed"]
    assert fakes.directory.writes == []
    assert audit_types(fast_client, run["id"])[-1] == "run.refused"
    listed = fast_client.get("/runs", params={"status": "refused", "ticket_id": "INC-303"})
    assert [r["id"] for r in listed.json()["items"]] == [run["id"]]


def test_users_outside_the_user_ous_are_refused(fast_client: TestClient, fakes: Fakes) -> None:
    for username in ("xavier.reed", "svc-backup", "Administrator", "helpdesk-svc"):
        run = run_fix(fast_client, "account_disable", "INC-304", username=username)
        assert run["status"] == "refused", run
        assert "outside the OUs agents may touch" in run["error"]
    contoso_only = run_fix(fast_client, "account_unlock", "INC-304", username="uma.patel")
    assert contoso_only["status"] == "failed"
    assert "no user 'uma.patel'" in contoso_only["error"]
    assert fakes.directory.writes == []


def test_group_add_to_the_allowlisted_group_and_refusal_of_another(
    fast_client: TestClient, fakes: Fakes
) -> None:
    run = run_fix(fast_client, "group_add", "INC-305", username="ben.carter", group="VPN-Users")
    assert run["status"] == "succeeded", run
    assert run["diff"]["after"] == {"member": True, "group": "VPN-Users"}
    assert "VPN-Users" in fakes.directory.groups_of("lab", "ben.carter")
    for group in ("Sales-Team", "Domain Admins"):
        error, _run = refused_at_start(
            fast_client, "group_add", "INC-305", username="ben.carter", group=group
        )
        assert error["code"] == "not_allowlisted" and "allow-list" in error["message"]
    removed = run_fix(
        fast_client, "group_remove", "INC-306", username="olivia.brown", group="VPN-Users"
    )
    assert (removed["status"], removed["changed"]) == ("succeeded", True)
    assert "VPN-Users" not in fakes.directory.groups_of("lab", "olivia.brown")


def _lab(core: Core) -> Any:
    return core.customers.get("lab")


def test_lost_answer_that_cannot_be_read_back_ends_outcome_unknown(
    fast_client: TestClient, fakes: Fakes, fast_core: Core
) -> None:
    lab = _lab(fast_core)
    fakes.directory.fail_next("modify", FakeDirectory.connection_lost(lab), applied=True)
    fakes.directory.fail_next("read_user", FakeDirectory.unreachable(lab))
    run = run_fix(fast_client, "account_unlock", "INC-307", username="noah.fischer")
    assert run["status"] == "failed", run
    assert run["error"].startswith(
        "outcome unknown: directory unreachable: the connection to ldaps://127.0.0.1:636 "
        "dropped after the modify was sent"
    )
    assert "reading it back failed too" in run["error"]
    assert run["details"]["outcome_unknown"] is True and run["diff"]["after"] is None
    assert "reconcile" in [e["kind"] for e in _events(fast_client, run)]
    assert audit_types(fast_client, run["id"])[-1] == "run.failed"


@pytest.mark.parametrize("applied", [True, False])
def test_lost_answer_is_reconciled_by_reading_the_account_back(
    fast_client: TestClient, fakes: Fakes, fast_core: Core, applied: bool
) -> None:
    lost = FakeDirectory.connection_lost(_lab(fast_core))
    fakes.directory.fail_next("modify", lost, applied=applied)
    run = run_fix(fast_client, "account_unlock", "INC-308", username="noah.fischer")
    if applied:
        assert (run["status"], run["summary"]) == ("succeeded", "noah.fischer unlocked"), run
    else:
        assert run["status"] == "failed" and "read back: nothing was changed" in run["error"]
        assert "outcome_unknown" not in run["details"]
    assert fakes.directory.bind("lab", "noah.fischer", LAB_USER_PASSWORD)[0] == (
        0 if applied else 49
    )


def test_lost_reset_of_an_account_that_must_change_already_is_outcome_unknown(
    fast_client: TestClient, fakes: Fakes, fast_core: Core
) -> None:
    lost = FakeDirectory.connection_lost(_lab(fast_core))
    fakes.directory.fail_next("modify", lost, applied=True)
    run = run_fix(
        fast_client, "password_reset", "INC-309", username="felix.wagner",
        caller_verification=VERIFIED,
    )  # fmt: skip
    assert run["status"] == "failed", run
    assert (
        run["error"].startswith("outcome unknown:") and "pwdLastSet was already 0" in run["error"]
    )
    assert "reveal_id" not in run["details"]


def test_an_unreachable_directory_is_a_recorded_failure_with_its_reason(
    fast_client: TestClient, fakes: Fakes
) -> None:
    fakes.directory.set_down("lab")
    run = run_fix(fast_client, "account_unlock", "INC-310", username="chloe.nguyen")
    assert run["status"] == "failed", run
    assert run["error"] == (
        "directory unreachable: no answer from ldaps://127.0.0.1:636 within 5 s or the TLS "
        "check failed (LDAPSocketOpenError)"
    )
    assert audit_types(fast_client, run["id"]) == ["run.requested", "run.running", "run.failed"]
    picker = fast_client.get("/directory/users", params={"customer": "lab", "q": "ben"})
    assert picker.status_code == 502 and picker.json()["error"]["code"] == "directory_unreachable"
    fakes.directory.set_down("lab", False)
    assert (
        run_fix(fast_client, "account_unlock", "INC-310", username="chloe.nguyen")["status"]
        == "succeeded"
    )


def test_a_wrong_service_password_is_a_clear_bind_error(
    fast_client: TestClient, fakes: Fakes
) -> None:
    good = fakes.directory.service_credential("contoso")
    wrong = {"bind_dn": good.bind_dn, "password": "Not-the-password-1", "ca_pem": good.ca_pem}
    assert fast_client.put("/credentials/contoso/directory", json=wrong).status_code == 200
    run = run_fix(
        fast_client, "account_unlock", "INC-311", customer="contoso", username="chloe.nguyen"
    )
    assert run["status"] == "failed", run
    assert "bind of the service account" in run["error"]
    assert "invalid credentials (result 49, data 52e)" in run["error"]
    assert "Not-the-password-1" not in str(run)


def test_picker_stays_inside_the_agent_ous(fast_client: TestClient) -> None:
    def found(q: str) -> list[dict[str, Any]]:
        answer = fast_client.get("/directory/users", params={"customer": "lab", "q": q})
        assert answer.status_code == 200, answer.text
        users: list[dict[str, Any]] = answer.json()
        return users

    assert [u["username"] for u in found("ben")] == ["ben.carter"]
    assert found("svc") == [] and found("xavier") == [] and found("*)(cn=*") == []
    protected = found("adm.")
    assert len(protected) == 11 and all(u["protected"] for u in protected)
    (chloe,) = found("chloe")
    assert chloe["locked"] and chloe["groups"] == ["Sales-Team"] and not chloe["protected"]


def test_a_run_waits_for_its_answer_when_asked(fast_client: TestClient) -> None:
    run = start(fast_client, "account_unlock", "INC-312", wait=10, username="grace.kim")
    assert run["status"] == "succeeded", run
