"""Every directory action against the lab's Samba DC, check mode included."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from lab.directory_data import LOCKOUT_THRESHOLD, VPN_GROUP
from runner_api.directory import DirectoryExecutor, LdapDirectory
from runner_api.runs.context import FollowUp
from runner_api.runs.status import RunStatus
from tests.directory.conftest import (
    LAB_PASSWORD,
    VERIFIED,
    DirectoryLabView,
    Run,
    lab_customer,
)

MakeRun = Callable[..., Run]


@pytest.fixture(scope="module", autouse=True)
def fresh_dc(dlab: DirectoryLabView) -> None:
    """These tests change users: start from the template's data."""
    dlab.reset("lab")


def _data(result: dict[str, object]) -> str:
    message = str(result.get("message", ""))
    return message.split("data ", 1)[1][:3] if "data " in message else ""


def test_unlock_check_mode_then_for_real(
    executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    before = dlab.state("chloe.nguyen")
    run = make_run("account_unlock", check_mode=True, username="chloe.nguyen")
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert not outcome.changed
    assert outcome.summary == "would unlock chloe.nguyen"
    assert outcome.diff == {"before": {"locked": True}, "after": {"locked": False}}
    assert dlab.state("chloe.nguyen") == before

    run = make_run("account_unlock", username="chloe.nguyen")
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.changed and outcome.summary == "chloe.nguyen unlocked"
    after = dlab.state("chloe.nguyen")
    assert after["lockoutTime"] == ["0"]
    # An unlock only unlocks.
    assert after["pwdLastSet"] == before["pwdLastSet"]
    assert dlab.bind_result("chloe.nguyen", LAB_PASSWORD)["result"] == 0
    assert [e.kind for e in run.events] == ["lookup", "guardrails", "change"]

    again = executor.execute(make_run("account_unlock", username="chloe.nguyen").ctx)
    assert again.status is RunStatus.SUCCEEDED and not again.changed
    assert again.summary == "no change: chloe.nguyen is not locked"


def test_three_bad_binds_lock_then_unlock_lets_the_bind_work(
    executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    for _ in range(LOCKOUT_THRESHOLD):
        assert _data(dlab.bind_result("paul.dubois", "wrong-Password-1")) == "52e"
    assert _data(dlab.bind_result("paul.dubois", LAB_PASSWORD)) == "775"
    outcome = executor.execute(make_run("account_unlock", username="paul.dubois").ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed
    assert outcome.diff == {"before": {"locked": True}, "after": {"locked": False}}
    assert dlab.bind_result("paul.dubois", LAB_PASSWORD)["result"] == 0


def test_password_reset_check_mode_changes_nothing(
    executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    before = dlab.state("henry.moreau")
    run = make_run(
        "password_reset", caller_verification=VERIFIED, check_mode=True, username="henry.moreau"
    )
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED and not outcome.changed
    assert outcome.summary == "would reset the password of henry.moreau"
    assert run.revealed == [] and "reveal_id" not in outcome.details
    assert dlab.state("henry.moreau") == before


def test_password_reset_new_password_only_and_must_change(
    executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    run = make_run("password_reset", caller_verification=VERIFIED, username="henry.moreau")
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.changed and outcome.details == {"reveal_id": "reveal-1"}
    assert outcome.diff == {
        "before": {"must_change_password": False, "password_set": False},
        "after": {"must_change_password": True, "password_set": True},
    }
    (password,) = run.revealed
    assert len(password) >= 16
    # Read back from the same DC that took the write (a replica may lag), then bind: the old
    # password is dead, the new one must be changed at next logon (49, data 773).
    assert dlab.state("henry.moreau")["pwdLastSet"] == ["0"]
    assert _data(dlab.bind_result("henry.moreau", LAB_PASSWORD)) == "52e"
    result = dlab.bind_result("henry.moreau", password)
    assert result["result"] == 49 and _data(result) == "773"
    # The password is nowhere in what the run produced, only in the one reveal.
    assert password not in run.texts(outcome)
    assert run.ctx.redactor.text(password) != password


def test_password_reset_with_unlock(
    executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    run = make_run(
        "password_reset", caller_verification=VERIFIED, username="grace.kim", unlock=True
    )
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.diff is not None
    assert outcome.diff["before"]["locked"] is True and outcome.diff["after"]["locked"] is False
    assert outcome.summary.endswith("; unlocked")
    # Without the unlock Samba (like AD) would still answer 775 here.
    assert _data(dlab.bind_result("grace.kim", run.revealed[0])) == "773"
    assert run.revealed[0] not in run.texts(outcome)


def test_password_reset_without_reveal_changes_nothing(
    executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    before = dlab.state("maria.rossi")
    run = make_run("password_reset", caller_verification=VERIFIED, username="maria.rossi")
    run.ctx.reveal = None
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.FAILED and "nothing was changed" in (outcome.error or "")
    assert dlab.state("maria.rossi") == before


def test_enable_and_disable(
    executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    check = executor.execute(
        make_run("account_enable", check_mode=True, username="daniel.okafor").ctx
    )
    assert check.summary == "would enable daniel.okafor" and not check.changed
    assert dlab.state("daniel.okafor")["userAccountControl"] == ["514"]

    outcome = executor.execute(make_run("account_enable", username="daniel.okafor").ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed
    assert outcome.diff == {"before": {"enabled": False}, "after": {"enabled": True}}
    assert dlab.state("daniel.okafor")["userAccountControl"] == ["512"]

    outcome = executor.execute(make_run("account_disable", username="karen.mills").ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed
    assert dlab.state("karen.mills")["userAccountControl"] == ["514"]
    assert _data(dlab.bind_result("karen.mills", LAB_PASSWORD)) == "533"

    again = executor.execute(make_run("account_disable", username="karen.mills").ctx)
    assert not again.changed and again.summary == "no change: karen.mills is already disabled"


def test_group_add_with_expiry_returns_the_follow_up(
    executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    expires = datetime.now(UTC) + timedelta(hours=8)
    check = executor.execute(
        make_run("group_add", check_mode=True, username="ben.carter", group=VPN_GROUP).ctx
    )
    assert check.summary == "would add ben.carter to VPN-Users" and check.follow_ups == ()

    run = make_run("group_add", username="ben.carter", group=VPN_GROUP, expires_at=expires)
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.changed
    assert outcome.diff == {
        "before": {"member": False, "group": VPN_GROUP},
        "after": {"member": True, "group": VPN_GROUP},
    }
    assert outcome.follow_ups == (
        FollowUp("group_remove", {"username": "ben.carter", "group": VPN_GROUP}, due_at=expires),
    )
    assert any("CN=VPN-Users" in dn for dn in dlab.state("ben.carter")["memberOf"])

    again = executor.execute(make_run("group_add", username="ben.carter", group=VPN_GROUP).ctx)
    assert again.status is RunStatus.SUCCEEDED and not again.changed
    assert again.summary == "no change: ben.carter is already a member of VPN-Users"


def test_group_remove(
    executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    outcome = executor.execute(
        make_run("group_remove", username="olivia.brown", group=VPN_GROUP).ctx
    )
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed
    assert not any("CN=VPN-Users" in dn for dn in dlab.state("olivia.brown")["memberOf"])
    again = executor.execute(make_run("group_remove", username="olivia.brown", group=VPN_GROUP).ctx)
    assert not again.changed
    assert again.summary == "no change: olivia.brown is already not a member of VPN-Users"


def test_membership_already_so_is_no_change_at_the_dc(
    gateway: LdapDirectory, dlab: DirectoryLabView
) -> None:
    customer = lab_customer()
    conn = dlab.admin()
    try:
        member, other = dlab.dn(conn, "anna.schmidt"), dlab.dn(conn, "paul.dubois")
        group = dlab.dn(conn, VPN_GROUP)
    finally:
        conn.unbind()
    # Straight to the DC, past our own membership read: 68 and 53 mean "no change".
    assert gateway.set_member(customer, group, member, True) is False
    assert gateway.set_member(customer, group, other, False) is False


def test_expired_expires_at_is_refused(executor: DirectoryExecutor, make_run: MakeRun) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    run = make_run("group_add", username="ben.carter", group=VPN_GROUP, expires_at=past)
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED
    assert "expires_at must be in the future" in (outcome.error or "")


def test_canceled_run_touches_nothing(
    executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    before = dlab.state("noah.fischer")
    run = make_run("account_unlock", username="noah.fischer")
    run.ctx.cancel_requested.set()
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.CANCELED
    assert dlab.state("noah.fischer") == before
