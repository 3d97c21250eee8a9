"""A folder holding an entry Exchange cannot resolve (a deleted user's), through real
exchangelib, the gateway and the executor.

Henry's calendar is seeded with one (lab/ews/lab.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lab.ews.lab import DELETED_USER_SID
from runner_api.mailbox import MailboxExecutor
from runner_api.runs.status import RunStatus
from tests.mailbox.conftest import BEN, Run
from tests.plugins.mailbox_lab import MailboxLabHandle

HENRY = "henry.moreau@lab.test"


@pytest.mark.xfail(strict=True, reason="issue 20: UnknownEntries read as a 'sid:None' entry")
def test_a_grant_works_on_a_folder_with_an_unknown_entry(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    run = make_run("mailbox_folder_permission_grant", mailbox=HENRY, folder="calendar",
                   user=BEN, level="Reviewer")  # fmt: skip
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    acl = sim.state.mailboxes[HENRY].folders["calendar"].permissions
    assert BEN in {p.user for p in acl}
    assert sim.state.mailboxes[HENRY].folders["calendar"].unknown[0].sid == DELETED_USER_SID
