"""The fix form by keyboard (issue 21 item 12): focus starts in the ticket field, the arrow
keys move through the user results and Enter picks one, and at 1,280 x 720 a password
reset's "Run now" is in view without scrolling."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.conftest import Agent

SMALL_LAPTOP = {"width": 1280, "height": 720}


def test_ticket_first_arrows_through_users_and_run_now_in_view(agents: dict[str, Agent]) -> None:
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page
    page.set_viewport_size(SMALL_LAPTOP)
    page.reload()
    expect(page.get_by_label("Ticket id")).to_be_focused()
    page.keyboard.type("INC-WEB-KEYS-1")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Find the user")).to_be_focused()
    page.keyboard.type("a")  # more than one match: anna.schmidt, henry... whoever has an "a"
    results = page.locator("#user-results button.pick")
    expect(results.nth(1)).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(results.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(results.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # above the first result: back in the search field
    expect(page.get_by_label("Find the user")).to_be_focused()

    page.keyboard.press("Backspace")
    page.keyboard.type("henry")
    henry = page.locator('#user-results button[data-username="henry.moreau"]')
    expect(henry).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(henry).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#picked")).to_contain_text("henry.moreau")

    page.locator('#actions button[data-action="password_reset"]').click()
    expect(page.get_by_label("Username *")).to_have_value("henry.moreau")
    run_now = page.get_by_role("button", name="Run now")
    expect(run_now).to_be_in_viewport()  # whole page unscrolled: no scrolling needed
    assert page.evaluate("window.scrollY") == 0
    box = run_now.bounding_box()
    assert box is not None and box["y"] + box["height"] <= SMALL_LAPTOP["height"], box
    # The window as the agent sees it (a full-page shot would show the bar mid-form).
    page.screenshot(path=str(alice.shots / "30-fix-reset-1280x720.png"))
