"""Guardrails refuse before any request reaches Exchange."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from runner_api.mailbox import MailboxExecutor
from runner_api.runs.status import RunStatus
from tests.mailbox.conftest import ANNA, SERVICE, Run
from tests.plugins.mailbox_lab import MailboxLabHandle

# Forwarding outside is refused here unless the run was approved (start_run holds it first).
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("mailbox_forwarding_set", {"mailbox": ANNA, "forward_to": "someone@gmail.com"},
     "would send mail outside the accepted domains"),
    ("mailbox_forwarding_set", {"mailbox": ANNA, "forward_to": "anna.schmidt@contoso.test"},
     "would send mail outside the accepted domains"),
    ("mailbox_forwarding_set", {"mailbox": ANNA, "forward_to": ANNA}, "cannot forward to itself"),
    ("mailbox_oof_set", {"mailbox": "anna.schmidt@contoso.test", "internal_message": "x"},
     "is outside the accepted domains"),
    ("mailbox_info", {"mailbox": SERVICE}, "Fixline's own service account"),
    ("mailbox_forwarding_clear", {"mailbox": SERVICE}, "Fixline's own service account"),
    ("mailbox_folder_permission_grant",
     {"mailbox": ANNA, "folder": "calendar", "user": "x@gmail.com", "level": "Reviewer"},
     "colleague 'x@gmail.com' is outside the accepted domains"),
    ("mailbox_folder_permission_grant",
     {"mailbox": ANNA, "folder": "calendar", "user": ANNA, "level": "Reviewer"},
     "owns the mailbox"),
    ("mailbox_folder_permission_grant",
     {"mailbox": ANNA, "folder": "inbox", "user": "ben.carter@lab.test",
      "level": "FreeBusyTimeOnly"},
     "exists on the calendar only"),
]  # fmt: skip


@pytest.mark.parametrize(("action", "params", "reason"), CASES)
@pytest.mark.parametrize("check_mode", [False, True])
def test_refused_before_any_request(
    sim: MailboxLabHandle,
    executor: MailboxExecutor,
    make_run: Callable[..., Run],
    action: str,
    params: dict[str, Any],
    reason: str,
    check_mode: bool,
) -> None:
    run = make_run(action, check_mode=check_mode, **params)
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED
    assert reason in (outcome.error or "")
    assert sim.requests == []
    assert sim.state.mailboxes[ANNA].rules == []


def test_customer_without_exchange_fails_clearly(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    customer = sim.customer()
    bare = type(customer)(customer.name, customer.display_name, customer.inventory_dir)
    outcome = executor.execute(make_run("mailbox_info", customer=bare, mailbox=ANNA).ctx)
    assert outcome.status is RunStatus.FAILED
    assert outcome.error == "customer 'lab' has no mailbox (Exchange) configured"


def test_approved_forwarding_outside_goes_ahead(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    run = make_run("mailbox_forwarding_set", mailbox=ANNA, forward_to="someone@gmail.com")
    run.ctx.approved_by = "sara"
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.diff == {
        "before": {"forward_to": None},
        "after": {"forward_to": "someone@gmail.com"},
    }


def test_a_vip_mailbox_changes_only_with_an_approval(
    sim: MailboxLabHandle, executor: MailboxExecutor, make_run: Callable[..., Run]
) -> None:
    # start_run holds such runs; one that reaches the executor unapproved (the VIP list or
    # the address changed meanwhile) is refused before any request.
    vip = replace(sim.customer(), vip_users=frozenset({"maria.rossi"}))
    maria = sim.address("maria.rossi")
    run = make_run("mailbox_forwarding_set", customer=vip, mailbox=maria, forward_to=ANNA)
    outcome = executor.execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED
    assert "maria.rossi is on the VIP list" in (outcome.error or "")
    assert sim.requests == []
    run = make_run("mailbox_forwarding_set", customer=vip, mailbox=maria, forward_to=ANNA)
    run.ctx.approved_by = "sara"
    assert executor.execute(run.ctx).status is RunStatus.SUCCEEDED
    assert any("a VIP, approved by sara" in event.message for event in run.events)
    # Reading, and taking the forwarding away again, need nobody's approval.
    for action in ("mailbox_info", "mailbox_forwarding_clear"):
        outcome = executor.execute(make_run(action, customer=vip, mailbox=maria).ctx)
        assert outcome.status is RunStatus.SUCCEEDED, outcome.error
