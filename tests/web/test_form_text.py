"""Forms that do not lose text (issue 21 item 9): the out-of-office message is a text area
whose line breaks reach the run, dates are pickers, a note over its limit is shown as such
and refused (never cut), and the server's error appears next to its field, in view."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.web.conftest import Agent

MESSAGE = "I am out of the office until Monday.\n\nFor urgent matters: helpdesk@lab.test\nAnna"


def _runs_of(page: Page, ticket: str) -> list[dict[str, Any]]:
    answer = page.request.get(f"/runs?ticket_id={ticket}")
    assert answer.ok, answer.text()
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _pick(page: Page, ticket: str, username: str, action: str) -> None:
    page.get_by_label("Ticket id").fill(ticket)
    page.get_by_label("Find the user").fill(username.split(".")[0])
    page.locator(f'#user-results button[data-username="{username}"]').click()
    page.locator(f'#actions button[data-action="{action}"]').click()


def test_out_of_office_keeps_line_breaks_and_dates_are_pickers(agents: dict[str, Agent]) -> None:
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page
    _pick(page, "INC-WEB-TEXT-1", "anna.schmidt", "mailbox_oof_set")
    internal = page.get_by_label("Internal Message *")
    assert internal.evaluate("e => e.tagName") == "TEXTAREA"
    assert page.get_by_label("External Message").evaluate("e => e.tagName") == "TEXTAREA"
    internal.fill(MESSAGE)
    expect(page.locator("#p-internal_message-count")).to_have_text(
        f"{len(MESSAGE)} of 4000 characters"
    )
    assert page.get_by_label("Start").get_attribute("type") == "datetime-local"
    assert page.get_by_label("End").get_attribute("type") == "datetime-local"

    # An end in the past: the server's refusal sits under the End picker, in view.
    page.get_by_label("Start").fill("2020-01-01T08:00")
    page.get_by_label("End").fill("2020-01-02T18:00")
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("button", name="Run now").click()
    end_msg = page.locator("#p-end-msg")
    expect(end_msg).to_contain_text("future")
    expect(end_msg).to_be_in_viewport()
    expect(page.get_by_label("End")).to_be_focused()
    alice.shot("31-fix-error-next-to-field")
    assert _runs_of(page, "INC-WEB-TEXT-1") == []

    page.get_by_label("Start").fill("")
    page.get_by_label("End").fill("")
    page.get_by_role("button", name="Run now").click()  # low risk: runs on the click
    page.wait_for_url("**/ui/runs/*")
    # The run holds the message as typed, line breaks and all (this server has no mailbox
    # credential, so the run itself fails: the backends' own tests cover the rest).
    [run] = _runs_of(page, "INC-WEB-TEXT-1")
    assert run["params"]["internal_message"] == MESSAGE


def test_a_note_over_its_limit_is_refused_not_cut(agents: dict[str, Agent]) -> None:
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page
    _pick(page, "INC-WEB-TEXT-2", "henry.moreau", "password_reset")
    page.get_by_label("Method *").select_option("callback")
    note = page.get_by_label("Note")
    long_note = "called back on the number on record; " * 15  # over the limit of 500
    note.fill(long_note)
    assert note.input_value() == long_note  # nothing cut
    count = page.locator("#p-caller_verification-note-count")
    used = len(long_note.strip())
    expect(count).to_have_text(f"{used} of 500 characters: {used - 500} too many")
    page.get_by_role("button", name="Run now").click()
    expect(page.locator("#p-caller_verification-note-msg")).to_have_text("At most 500 characters.")
    expect(note).to_be_focused()
    expect(note).to_be_in_viewport()
    expect(page.locator("#confirm")).to_be_hidden()
    assert _runs_of(page, "INC-WEB-TEXT-2") == []
