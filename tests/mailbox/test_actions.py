"""Every mailbox action through MailboxExecutor, real exchangelib, the EWS simulator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from runner_api.mailbox import MailboxExecutor
from runner_api.mailbox.fixes import FORWARD_RULE
from runner_api.runs.status import RunStatus
from tests.mailbox.conftest import ANNA, BEN, EMMA, Run, assert_impersonated, operations
from tests.plugins.mailbox_lab import MailboxLabHandle


def _rules(sim: MailboxLabHandle, mailbox: str = ANNA) -> list[str]:
    return [rule.display_name for rule in sim.state.mailboxes[mailbox].rules]


def _acl(sim: MailboxLabHandle, folder: str, mailbox: str = ANNA) -> dict[str, str]:
    entries = sim.state.mailboxes[mailbox].folders[folder].permissions
    return {entry.user: entry.level for entry in entries}


def test_info_reads_everything_as_the_target(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    outcome = executor.execute(make_run("mailbox_info", mailbox=ANNA).ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert not outcome.changed
    assert outcome.versions == {"exchangelib": "5.6.0"}
    details = outcome.details
    assert details["oof"]["state"] == "Disabled"
    assert details["permissions"]["calendar"] == [
        {"user": "Default", "level": "FreeBusyTimeOnly"},
        {"user": "Anonymous", "level": "None"},
        {"user": EMMA, "level": "Reviewer"},
    ]
    assert details["delegates"] == [
        {"user": BEN, "display_name": "Ben Carter", "calendar": "Editor", "inbox": "Reviewer"}
    ]
    assert details["inbox"] == {"total": 0, "unread": 0}  # the simulator keeps no messages
    assert details["unavailable"] == []
    # The inbox's counts, then the two ACLs: one GetFolder each.
    assert operations(sim.requests) == [
        "GetUserOofSettings", "GetInboxRules", "GetFolder", "GetFolder", "GetFolder",
        "GetDelegate",
    ]  # fmt: skip
    assert_impersonated(sim.requests, ANNA)


def test_oof_set_scheduled_then_same_again_is_no_change(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    end = start + timedelta(days=7)
    params = {"mailbox": ANNA, "internal_message": "Away until Monday", "audience": "All",
              "external_message": "Away", "start": start, "end": end}  # fmt: skip
    outcome = executor.execute(make_run("mailbox_oof_set", **params).ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.changed
    assert outcome.diff is not None
    assert outcome.diff["before"]["state"] == "Disabled"
    assert outcome.diff["after"] == {
        "state": "Scheduled", "audience": "All", "internal_message": "Away until Monday",
        "external_message": "Away", "start": start.isoformat(), "end": end.isoformat(),
    }  # fmt: skip
    oof = sim.state.mailboxes[ANNA].oof
    assert (oof.state, oof.start, oof.end) == ("Scheduled", start, end)
    assert (oof.internal_reply, oof.external_reply, oof.external_audience) == (
        "Away until Monday", "Away", "All",
    )  # fmt: skip
    assert operations(sim.requests) == ["GetUserOofSettings", "SetUserOofSettings"]
    assert_impersonated(sim.requests, ANNA)

    sim.simulator.clear_requests()
    again = executor.execute(make_run("mailbox_oof_set", **params).ctx)
    assert again.status is RunStatus.SUCCEEDED and not again.changed
    assert again.summary.startswith("no change") or "on" in again.summary
    assert operations(sim.requests) == ["GetUserOofSettings"]


def test_oof_set_check_mode_writes_nothing(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    run = make_run("mailbox_oof_set", check_mode=True, mailbox=ANNA, internal_message="Out")
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED and not outcome.changed
    assert outcome.summary.startswith("would turn on automatic replies")
    assert outcome.diff is not None and outcome.diff["after"]["state"] == "Enabled"
    assert outcome.diff["after"]["external_message"] == "Out"
    assert sim.state.mailboxes[ANNA].oof.state == "Disabled"
    assert operations(sim.requests) == ["GetUserOofSettings"]


def test_oof_clear_keeps_messages_and_is_idempotent(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    executor.execute(make_run("mailbox_oof_set", mailbox=ANNA, internal_message="Out").ctx)
    check = executor.execute(make_run("mailbox_oof_clear", check_mode=True, mailbox=ANNA).ctx)
    assert check.summary.startswith("would turn off") and not check.changed
    assert sim.state.mailboxes[ANNA].oof.state == "Enabled"
    sim.simulator.clear_requests()
    outcome = executor.execute(make_run("mailbox_oof_clear", mailbox=ANNA).ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed
    assert outcome.diff is not None
    assert (outcome.diff["before"]["state"], outcome.diff["after"]["state"]) == (
        "Enabled", "Disabled",
    )  # fmt: skip
    assert sim.state.mailboxes[ANNA].oof.state == "Disabled"
    assert sim.state.mailboxes[ANNA].oof.internal_reply == "Out"
    assert_impersonated(sim.requests, ANNA)
    again = executor.execute(make_run("mailbox_oof_clear", mailbox=ANNA).ctx)
    assert again.status is RunStatus.SUCCEEDED and not again.changed
    assert again.summary.startswith("no change")


def test_forwarding_set_replace_and_clear_in_the_target_mailbox(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    check = executor.execute(
        make_run("mailbox_forwarding_set", check_mode=True, mailbox=ANNA, forward_to=BEN).ctx
    )
    assert check.summary == f"would forward {ANNA} to {BEN}" and _rules(sim) == []

    outcome = executor.execute(make_run("mailbox_forwarding_set", mailbox=ANNA, forward_to=BEN).ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert outcome.diff == {"before": {"forward_to": None}, "after": {"forward_to": BEN}}
    assert _rules(sim) == [FORWARD_RULE]
    # Never in the service account's own mailbox.
    assert sim.state.mailboxes["svc-helpdesk@lab.test"].rules == []
    assert_impersonated(sim.requests, ANNA)

    sim.simulator.clear_requests()
    moved = executor.execute(make_run("mailbox_forwarding_set", mailbox=ANNA, forward_to=EMMA).ctx)
    assert moved.diff == {"before": {"forward_to": BEN}, "after": {"forward_to": EMMA}}
    assert _rules(sim) == [FORWARD_RULE]
    assert operations(sim.requests) == [
        "GetInboxRules", "GetInboxRules", "UpdateInboxRules", "UpdateInboxRules", "GetInboxRules",
    ]  # fmt: skip
    assert_impersonated(sim.requests, ANNA)

    same = executor.execute(make_run("mailbox_forwarding_set", mailbox=ANNA, forward_to=EMMA).ctx)
    assert not same.changed and same.summary.startswith("no change")

    sim.simulator.clear_requests()
    cleared = executor.execute(make_run("mailbox_forwarding_clear", mailbox=ANNA).ctx)
    assert cleared.status is RunStatus.SUCCEEDED and cleared.changed
    assert cleared.diff == {"before": {"forward_to": EMMA}, "after": {"forward_to": None}}
    assert _rules(sim) == []
    assert_impersonated(sim.requests, ANNA)
    again = executor.execute(make_run("mailbox_forwarding_clear", mailbox=ANNA).ctx)
    assert not again.changed and again.summary.startswith("no change")


def test_forwarding_reports_other_forwarding_rules(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    executor.execute(make_run("mailbox_forwarding_set", mailbox=ANNA, forward_to=BEN).ctx)
    sim.state.mailboxes[ANNA].rules[0].element.find(
        "{http://schemas.microsoft.com/exchange/services/2006/types}DisplayName"
    ).text = "user-made"  # type: ignore[union-attr]
    outcome = executor.execute(make_run("mailbox_forwarding_clear", mailbox=ANNA).ctx)
    assert not outcome.changed
    assert outcome.details["other_forwarding_rules"] == [
        {"rule": "user-made", "forward_to": [BEN], "redirect_to": []}
    ]
    assert _rules(sim) == ["user-made"]


def test_permission_grant_with_expiry_schedules_the_revoke(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    expires = datetime.now(UTC) + timedelta(days=3)
    params = {"mailbox": ANNA, "folder": "calendar", "user": BEN, "level": "Editor",
              "expires_at": expires}  # fmt: skip
    check = executor.execute(
        make_run("mailbox_folder_permission_grant", check_mode=True, **params).ctx
    )
    assert check.summary.startswith("would give") and not check.follow_ups
    assert BEN not in _acl(sim, "calendar")

    sim.simulator.clear_requests()
    outcome = executor.execute(make_run("mailbox_folder_permission_grant", **params).ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert outcome.diff == {
        "before": {"folder": "calendar", "user": BEN, "level": "None"},
        "after": {"folder": "calendar", "user": BEN, "level": "Editor"},
    }
    assert _acl(sim, "calendar") == {
        "Default": "FreeBusyTimeOnly", "Anonymous": "None", EMMA: "Reviewer", BEN: "Editor",
    }  # fmt: skip
    (revoke,) = outcome.follow_ups
    assert revoke.action == "mailbox_folder_permission_revoke"
    assert dict(revoke.params) == {"mailbox": ANNA, "folder": "calendar", "user": BEN}
    assert revoke.due_at == expires
    assert operations(sim.requests) == ["GetFolder", "GetFolder", "UpdateFolder"]
    assert_impersonated(sim.requests, ANNA)

    sim.simulator.clear_requests()
    revoked = executor.execute(make_run("mailbox_folder_permission_revoke", **{
        k: v for k, v in revoke.params.items()}).ctx)  # fmt: skip
    assert revoked.status is RunStatus.SUCCEEDED and revoked.changed
    assert BEN not in _acl(sim, "calendar") and _acl(sim, "calendar")[EMMA] == "Reviewer"
    assert_impersonated(sim.requests, ANNA)


def test_inbox_permission_grant_and_revoke(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    params = {"mailbox": ANNA, "folder": "inbox", "user": EMMA}
    outcome = executor.execute(
        make_run("mailbox_folder_permission_grant", level="Reviewer", **params).ctx
    )
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert not outcome.follow_ups
    assert _acl(sim, "inbox")[EMMA] == "Reviewer"
    # Read back through exchangelib's transport: the Inbox level is Reviewer, not "None".
    info = executor.execute(make_run("mailbox_info", mailbox=ANNA).ctx)
    assert {"user": EMMA, "level": "Reviewer"} in info.details["permissions"]["inbox"]
    same = executor.execute(
        make_run("mailbox_folder_permission_grant", level="Reviewer", **params).ctx
    )
    assert not same.changed and same.summary.startswith("no change")
    check = executor.execute(
        make_run("mailbox_folder_permission_revoke", check_mode=True, **params).ctx
    )
    assert check.summary.startswith("would remove") and _acl(sim, "inbox")[EMMA] == "Reviewer"
    revoked = executor.execute(make_run("mailbox_folder_permission_revoke", **params).ctx)
    assert revoked.changed and EMMA not in _acl(sim, "inbox")
    gone = executor.execute(make_run("mailbox_folder_permission_revoke", **params).ctx)
    assert not gone.changed and gone.summary.startswith("no change")


def test_expiring_grant_over_an_existing_permission_is_refused(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    expires = datetime.now(UTC) + timedelta(days=1)
    run = make_run("mailbox_folder_permission_grant", mailbox=ANNA, folder="calendar",
                   user=EMMA, level="Editor", expires_at=expires)  # fmt: skip
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED
    assert "already has Reviewer" in (outcome.error or "")
    assert _acl(sim, "calendar")[EMMA] == "Reviewer"
    assert "UpdateFolder" not in operations(sim.requests)


def test_contoso_acts_with_its_own_service_account(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    anna = sim.address("anna.schmidt", "contoso")
    run = make_run("mailbox_oof_set", customer=sim.customer("contoso"), mailbox=anna,
                   internal_message="Out")  # fmt: skip
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert sim.state.mailboxes[anna].oof.state == "Enabled"
    assert sim.state.mailboxes[ANNA].oof.state == "Disabled"
    assert {request.user for request in sim.requests} == {"svc-helpdesk@contoso.test"}
    assert_impersonated(sim.requests, anna)
