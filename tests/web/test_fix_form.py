"""The fix form in a browser: each field prefilled with the picked user's attribute it
takes; Enter never launches a fix; medium and high risk fixes show the check-mode diff and
ask first, low risk ones run on a click."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Route, expect

from tests.web.conftest import Agent


def test_fields_take_the_attribute_they_need(agents: dict[str, Agent]) -> None:
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page
    page.get_by_label("Find the user").fill("anna")
    page.locator('#user-results button[data-username="anna.schmidt"]').click()
    page.locator('#actions button[data-action="mailbox_info"]').click()
    expect(page.get_by_label("Mailbox *")).to_have_value("anna.schmidt@lab.test")
    page.locator('#actions button[data-action="account_unlock"]').click()
    expect(page.get_by_label("Username *")).to_have_value("anna.schmidt")
    # A host is no user attribute: nothing is guessed.
    page.locator('#actions button[data-action="smoke_check"]').click()
    expect(page.get_by_label("Host *")).to_have_value("")


def _runs_of(agent: Agent, ticket: str) -> list[dict[str, object]]:
    answer = agent.page.request.get(f"/runs?ticket_id={ticket}")
    assert answer.ok, answer.text()
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def test_enter_never_launches_and_risky_fixes_ask_first(agents: dict[str, Agent]) -> None:
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page
    page.get_by_label("Ticket id").fill("INC-WEB-ENTER-1")
    page.get_by_label("Find the user").fill("henry")
    page.locator('#user-results button[data-username="henry.moreau"]').click()
    page.locator('#actions button[data-action="password_reset"]').click()
    page.get_by_label("Method *").select_option("callback")
    note = page.get_by_label("Note")
    note.fill("called back on the number on record")
    username = page.get_by_label("Username *")
    username.press("Enter")  # moves on, launches nothing
    expect(page.get_by_label("Method *")).to_be_focused()
    note.press("Enter")
    assert urlsplit(page.url).path == "/ui/"  # still the form (its query: the workspace)

    # High risk: the check-mode diff, rendered per field, then a confirmation.
    page.get_by_role("button", name="Run now").click()
    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("High risk", timeout=30_000)
    expect(confirm.locator("table.changes tbody tr").first).to_be_visible(timeout=30_000)
    assert "{" not in confirm.inner_text()  # no raw JSON
    # A run the Enter keys launched would have been posted before the preview was asked
    # for, and answered before it: only the preview is there.
    runs = _runs_of(alice, "INC-WEB-ENTER-1")
    assert [r["check_mode"] for r in runs] == [True]
    alice.shot("20-fix-confirm-high-risk")
    page.get_by_role("button", name="Back to the form").click()
    expect(confirm).to_be_hidden()
    assert len(_runs_of(alice, "INC-WEB-ENTER-1")) == 1

    # Medium risk asks too; confirmed, it runs.
    page.locator('#actions button[data-action="account_unlock"]').click()
    page.get_by_role("button", name="Run now").click()
    expect(confirm).to_contain_text("Medium risk")
    page.get_by_role("button", name="Confirm and run").click()
    page.wait_for_url("**/ui/runs/*")
    expect(page.locator("#status")).to_have_text("succeeded", timeout=60_000)


def test_low_risk_runs_on_a_click_and_no_check_mode_shows_the_parameters(
    agents: dict[str, Agent],
) -> None:
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page
    alice.smoke_check("INC-WEB-LOW-1")

    # No medium or high risk action lacks a check mode today: make the catalog say so of
    # one, as a future action would, and see the confirmation show the parameters instead.
    def without_check_mode(route: Route) -> None:
        actions = route.fetch().json()
        for action in actions:
            if action["name"] == "account_unlock":
                action["supports_check_mode"] = False
        route.fulfill(json=actions)

    page.route("**/actions", without_check_mode)
    page.goto("/ui/")
    page.get_by_label("Ticket id").fill("INC-WEB-LOW-2")
    page.locator('#actions button[data-action="account_unlock"]').click()
    page.get_by_label("Username *").fill("noah.fischer")
    page.get_by_role("button", name="Run now").click()
    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("This fix has no check mode")
    expect(confirm.locator("dl")).to_contain_text("noah.fischer")
    assert _runs_of(alice, "INC-WEB-LOW-2") == []
