"""The words of a notice: who, what, which ticket, when, by whom; built without params."""

from __future__ import annotations

from datetime import UTC, datetime

from runner_api.notify.compose import body_of, subject_of
from runner_api.notify.models import Audience
from runner_api.runs.context import Affected, Contact
from runner_api.runs.models import Run

WHEN = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
OWNER, MANAGER = Contact("Ben Carter", "ben@lab.test"), Contact("Anna Schmidt", "anna@lab.test")


def _run(action: str) -> Run:
    # The params carry a canary: nothing in a notice may come from them.
    params = {"username": "ben.carter", "secret": "CANARY-7f3a"}
    return Run(id="r-1", action=action, ticket_id="INC-9", requested_by="jane", params=params)


def _words(text: str) -> str:
    return " ".join(text.split())


def test_owner_notice_names_action_account_ticket_time_and_agent() -> None:
    run, affected = _run("password_reset"), Affected("ben.carter", OWNER, MANAGER)
    body = _words(body_of(run, affected, Audience.OWNER, WHEN))
    assert subject_of(run, affected) == "Account ben.carter had its password reset (ticket INC-9)"
    for fact in ("Hello Ben Carter", "password reset", "INC-9", "2026-11-28 09:30 UTC", "jane"):
        assert fact in body
    assert "If you did not ask for this" in body and "CANARY" not in body


def test_manager_notice_says_why_the_manager_gets_it() -> None:
    run = _run("group_add")
    affected = Affected("ben.carter", OWNER, MANAGER, granted="VPN-Users")
    body = _words(body_of(run, affected, Audience.MANAGER, WHEN))
    assert body.startswith("Hello Anna Schmidt")
    assert "manager of Ben Carter" in body and "given access to VPN-Users" in body
    assert "If Ben Carter did not ask for this" in body


def test_an_action_without_its_own_words_still_reads() -> None:
    run, affected = _run("account_enable"), Affected("ben.carter", OWNER)
    assert "was changed (account enable)" in subject_of(run, affected)
    assert "account enable" in body_of(run, affected, Audience.OWNER, WHEN)
