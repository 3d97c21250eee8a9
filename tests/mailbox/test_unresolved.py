"""A folder holding an entry Exchange cannot resolve (a deleted user's), through real
exchangelib, the gateway and the executor: shown apart, never a user, and no obstacle.

Henry's calendar is seeded with one (lab/ews/lab.py). Before the fix every grant or revoke
there was refused: the UnknownEntries element was read as a permission without an address
("sid:None") and a whole-ACL write would "lose" it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lab.ews.lab import DELETED_USER_SID
from lab.ews.state import Permission, UnknownEntry
from runner_api.mailbox import MailboxExecutor
from runner_api.runs.status import RunStatus
from tests.mailbox.conftest import BEN, EMMA, Run, assert_impersonated, operations
from tests.plugins.mailbox_lab import MailboxLabHandle

HENRY = "henry.moreau@lab.test"
ECHO = (
    f"<t:UnknownEntries><t:UnknownEntry>{DELETED_USER_SID}</t:UnknownEntry></t:UnknownEntries>"
).encode()


def _grant(make_run: Callable[..., Run], **params: object) -> Run:
    return make_run("mailbox_folder_permission_grant", mailbox=HENRY, folder="calendar",
                    user=BEN, level="Reviewer", **params)  # fmt: skip


def test_info_shows_the_entry_as_unresolved_not_as_a_user(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    outcome = executor.execute(make_run("mailbox_info", mailbox=HENRY).ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.details["permissions"]["calendar"] == [
        {"user": "Default", "level": "FreeBusyTimeOnly"},
        {"user": "Anonymous", "level": "None"},
    ]
    assert outcome.details["unresolved_permissions"] == {
        "calendar": [DELETED_USER_SID], "inbox": [],
    }  # fmt: skip


def test_a_grant_works_and_sends_the_entry_back_once_as_it_was(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    """The bug of issue 20: this grant was refused ("entries without an address: sid:None")."""
    outcome = executor.execute(_grant(make_run).ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.changed
    assert outcome.details["unresolved_entries"] == [DELETED_USER_SID]
    acl = sim.state.mailboxes[HENRY].folders["calendar"].permissions
    assert {p.user: p.level for p in acl} == {
        "Default": "FreeBusyTimeOnly", "Anonymous": "None", BEN: "Reviewer",
    }  # fmt: skip
    (update,) = [r for r in sim.requests if r.operation == "UpdateFolder"]
    # Written back in <t:UnknownEntries> after the list, once; never as a permission by SID.
    assert update.body.count(DELETED_USER_SID.encode()) == 1
    assert ECHO + b"</t:PermissionSet>" in update.body
    assert b"<t:SID>" not in update.body
    # The executor reads the ACL again to see what Exchange kept.
    assert operations(sim.requests) == ["GetFolder", "GetFolder", "UpdateFolder", "GetFolder"]
    assert_impersonated(sim.requests, HENRY)


def test_by_default_exchange_drops_it_and_the_run_says_so(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    """Microsoft documents that an ACL reset deletes unknown entries: reported, not hidden."""
    run = _grant(make_run)
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert sim.state.mailboxes[HENRY].folders["calendar"].unknown == []
    assert outcome.summary == (
        f"{BEN} has Reviewer on the calendar of {HENRY}; Exchange removed 1 unresolved entry"
    )
    assert outcome.details["unresolved_entries_removed"] == [DELETED_USER_SID]
    (event,) = [e for e in run.events if e.kind == "unresolved_removed"]
    assert DELETED_USER_SID in event.message


@pytest.mark.parametrize("action", ["grant", "revoke"])
def test_kept_where_exchange_keeps_what_is_sent_back(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run], action: str
) -> None:
    """Neither lost nor duplicated, with its rights, when Exchange honours the echo."""
    sim.state.keep_echoed_unknown_entries = True
    folder = sim.state.mailboxes[HENRY].folders["calendar"]
    if action == "revoke":
        folder.permissions.append(Permission(EMMA, "Editor"))
        run = make_run("mailbox_folder_permission_revoke", mailbox=HENRY, folder="calendar",
                       user=EMMA)  # fmt: skip
    else:
        run = _grant(make_run)
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert folder.unknown == [UnknownEntry(DELETED_USER_SID, "Reviewer")]
    assert "unresolved_entries_removed" not in outcome.details
    assert "unresolved" not in outcome.summary
    users = {p.user for p in folder.permissions} - {"Default", "Anonymous"}
    assert users == ({BEN} if action == "grant" else set())


def test_check_mode_names_the_entry_and_writes_nothing(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    outcome = executor.execute(_grant(make_run, check_mode=True).ctx)
    assert outcome.status is RunStatus.SUCCEEDED and not outcome.changed
    assert outcome.details["unresolved_entries"] == [DELETED_USER_SID]
    assert operations(sim.requests) == ["GetFolder"]
    assert sim.state.mailboxes[HENRY].folders["calendar"].unknown != []
