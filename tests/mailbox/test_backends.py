"""Every mailbox action with the same behaviour on both backends, run on both: EWS against
the EWS simulator, Exchange Online through Graph against the Graph simulator (tests/mailbox/
backends.py). What differs between them is in tests/exchange_online/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from runner_api.mailbox.fixes import FORWARD_RULE
from runner_api.mailbox.gateway import Folder, OofState
from runner_api.runs.status import RunStatus
from tests.mailbox.backends import World

ANNA = "anna.schmidt@lab.test"
HENRY = "henry.moreau@lab.test"
EMMA = "emma.larsen@lab.test"
MESSAGE = "Hello,\nI am away until Monday.\n\nUrgent: Ben Carter <ben.carter@lab.test> & co."


def test_oof_on_same_again_then_off_keeps_the_text(world: World) -> None:
    run, outcome = world.run("mailbox_oof_set", mailbox=ANNA, internal_message=MESSAGE)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert outcome.details["backend"] == world.name
    assert [e.data["backend"] for e in run.events if e.kind == "backend"] == [world.name]
    now = world.gateway.get_oof(world.customer, ANNA)
    assert now.state is OofState.ENABLED
    # Line breaks, angle brackets and ampersands come back as the agent typed them.
    assert now.internal_message == MESSAGE and now.external_message == MESSAGE
    _, again = world.run("mailbox_oof_set", mailbox=ANNA, internal_message=MESSAGE)
    assert again.status is RunStatus.SUCCEEDED and not again.changed, again.summary
    _, off = world.run("mailbox_oof_clear", mailbox=ANNA)
    assert off.status is RunStatus.SUCCEEDED and off.changed, off.error
    cleared = world.gateway.get_oof(world.customer, ANNA)
    assert cleared.state is OofState.DISABLED and cleared.internal_message == MESSAGE


def test_scheduled_oof_keeps_its_window(world: World) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    end = start + timedelta(days=2)
    _, outcome = world.run(
        "mailbox_oof_set",
        mailbox=ANNA,
        internal_message="Away",
        start=start,
        end=end,
    )
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    now = world.gateway.get_oof(world.customer, ANNA)
    assert now.state is OofState.SCHEDULED
    assert (now.start, now.end) == (start, end)


def test_check_mode_writes_nothing(world: World) -> None:
    _, outcome = world.run("mailbox_oof_set", check_mode=True, mailbox=ANNA, internal_message="x")
    assert outcome.status is RunStatus.SUCCEEDED and not outcome.changed
    assert outcome.summary.startswith("would ")
    assert outcome.diff is not None and outcome.diff["after"]["state"] == "Enabled"
    assert world.writes() == 0


def test_forwarding_set_same_again_and_clear_touch_only_fixlines_rule(world: World) -> None:
    others = [r for r in world.gateway.get_rules(world.customer, ANNA) if r.name != FORWARD_RULE]
    _, outcome = world.run("mailbox_forwarding_set", mailbox=ANNA, forward_to=HENRY)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    rules = world.gateway.get_rules(world.customer, ANNA)
    (ours,) = [r for r in rules if r.name == FORWARD_RULE]
    assert ours.forward_to == (HENRY,) and ours.enabled
    _, again = world.run("mailbox_forwarding_set", mailbox=ANNA, forward_to=HENRY)
    assert again.status is RunStatus.SUCCEEDED and not again.changed, again.summary
    _, cleared = world.run("mailbox_forwarding_clear", mailbox=ANNA)
    assert cleared.status is RunStatus.SUCCEEDED and cleared.changed, cleared.error
    left = world.gateway.get_rules(world.customer, ANNA)
    assert [r.name for r in left] == [r.name for r in others]


def test_forwarding_outside_the_customer_is_refused_unapproved(world: World) -> None:
    _, outcome = world.run("mailbox_forwarding_set", mailbox=ANNA, forward_to="x@example.com")
    assert outcome.status is RunStatus.REFUSED
    assert outcome.details["refused_by"] == "external_forwarding"
    assert world.writes() == 0


def test_calendar_grant_then_revoke(world: World) -> None:
    grant = {"mailbox": ANNA, "folder": "calendar", "user": HENRY}
    _, outcome = world.run("mailbox_folder_permission_grant", level="Reviewer", **grant)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert outcome.diff == {
        "before": {"folder": "calendar", "user": HENRY, "level": "None"},
        "after": {"folder": "calendar", "user": HENRY, "level": "Reviewer"},
    }
    acl = world.gateway.get_permissions(world.customer, ANNA, Folder.CALENDAR)
    levels = {p.user: p.level for p in acl.entries}
    assert levels[HENRY] == "Reviewer"
    _, editor = world.run("mailbox_folder_permission_grant", level="Editor", **grant)
    assert editor.status is RunStatus.SUCCEEDED and editor.changed, editor.error
    _, revoked = world.run("mailbox_folder_permission_revoke", **grant)
    assert revoked.status is RunStatus.SUCCEEDED and revoked.changed, revoked.error
    after = world.gateway.get_permissions(world.customer, ANNA, Folder.CALENDAR)
    assert HENRY not in {p.user for p in after.entries}


def test_info_reads_the_mailbox(world: World) -> None:
    world.run("mailbox_oof_set", mailbox=ANNA, internal_message=MESSAGE)
    _, outcome = world.run("mailbox_info", mailbox=ANNA)
    assert outcome.status is RunStatus.SUCCEEDED and not outcome.changed, outcome.error
    details = outcome.details
    assert details["backend"] == world.name
    assert details["oof"]["state"] == "Enabled"
    assert details["inbox"] is not None and details["inbox"]["total"] >= details["inbox"]["unread"]
    assert any(entry["user"] == "Default" for entry in details["permissions"]["calendar"])


def test_owner_outside_the_customer_is_refused(world: World) -> None:
    _, outcome = world.run("mailbox_oof_set", mailbox="someone@example.com", internal_message="x")
    assert outcome.status is RunStatus.REFUSED
    assert world.writes() == 0
