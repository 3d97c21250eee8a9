"""The agents' web page in a real browser against the lab: reset and reveal once, unlock, a
refused protected target, an approval by a second person, re-run and cancel, audit search."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from tests.web.conftest import Agent
from tests.web.counted import Counted

VERIFY = "called back on the number on record"


def _start_fix(page: Page, ticket: str, query: str, username: str, action: str) -> None:
    """Ticket, user picker, fix: the clicks are the picked user and the fix."""
    page.get_by_label("Ticket id").fill(ticket)
    page.get_by_label("Find the user").fill(query)
    page.locator(f'#user-results button[data-username="{username}"]').click()
    page.locator(f'#actions button[data-action="{action}"]').click()
    expect(page.get_by_label("Username *")).to_have_value(username)


def _verify_caller(page: Page) -> None:
    page.get_by_label("Method *").select_option("callback")
    page.get_by_label("Note").fill(VERIFY)


def _run(page: Page, status: str) -> None:
    """Run now, then (every fix here is medium or high risk) confirm after the check."""
    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_role("button", name="Confirm and run")).to_be_enabled(timeout=30_000)
    page.get_by_role("button", name="Confirm and run").click()
    page.wait_for_url("**/ui/runs/*")
    expect(page.locator("#status")).to_have_text(status, timeout=60_000)


def test_reset_reveal_once_unlock_and_refusal(agents: dict[str, Agent]) -> None:
    alice = agents["alice.agent"]
    started = time.monotonic()
    alice.page.goto("/ui/")
    alice.check_page("01-login")
    alice.login()
    expect(alice.page.get_by_label("Customer")).to_have_value("lab")
    alice.check_page("02-fix-empty")
    _start_fix(alice.page, "INC-WEB-1", "henry", "henry.moreau", "password_reset")
    _verify_caller(alice.page)
    alice.shot("03-fix-confirm-reset")
    _run(alice.page, "succeeded")
    elapsed = time.monotonic() - started
    print(f"\nagent's reset path in the browser (login to succeeded): {elapsed:.2f} s")
    expect(alice.page.locator("#events li").first).to_be_visible()
    alice.page.get_by_role("button", name="Show the temporary password (once)").click()
    secret = alice.page.locator("#secret")
    expect(secret).not_to_be_empty()
    assert len(secret.inner_text()) >= 16
    alice.page.screenshot(
        path=str(alice.shots / "04-run-reveal.png"), full_page=True, mask=[secret]
    )
    alice.page.reload()
    # Spent: no button asks again (tests/web/test_run_output.py).
    expect(alice.page.locator("#reveal-msg")).to_contain_text("Already shown once")
    expect(alice.page.locator("#reveal")).to_be_hidden()
    expect(alice.page.locator("#secret")).to_be_empty()
    alice.check_page("05-run-reveal-refused")

    alice.page.goto("/ui/")
    _start_fix(alice.page, "INC-WEB-2", "chloe", "chloe.nguyen", "account_unlock")
    _run(alice.page, "succeeded")
    alice.shot("06-run-unlock")

    alice.page.goto("/ui/")
    alice.page.get_by_label("Ticket id").fill("INC-WEB-3")
    alice.page.locator('#actions button[data-action="account_unlock"]').click()
    alice.page.get_by_label("Username *").fill("adm.nested")
    _run(alice.page, "refused")
    expect(alice.page.locator("#reason")).to_contain_text("Refused:")
    assert len(alice.page.locator("#reason").inner_text()) > len("Refused: refused")
    alice.shot("07-run-refused-protected")


def test_inline_validation(agents: dict[str, Agent]) -> None:
    alice = agents["alice.agent"]
    alice.login()
    alice.page.locator('#actions button[data-action="account_unlock"]').click()
    alice.page.get_by_label("Username *").fill("not a login!")
    alice.page.get_by_role("button", name="Run now").click()
    expect(alice.page.locator("#ticket-msg")).to_contain_text("Enter the ticket id")
    alice.page.get_by_label("Ticket id").fill("INC-WEB-4")
    alice.page.get_by_role("button", name="Run now").click()
    expect(alice.page.locator("#p-username-msg")).to_have_text("This value has the wrong format.")
    expect(alice.page.get_by_label("Username *")).to_have_attribute("aria-invalid", "true")
    alice.shot("08-fix-validation")


def test_approval_by_a_second_person_then_cancel(agents: dict[str, Agent]) -> None:
    alice, bob = agents["alice.agent"], agents["bob.senior"]
    alice.login()
    _start_fix(alice.page, "INC-WEB-5", "maria", "maria.rossi", "password_reset")
    _verify_caller(alice.page)
    _run(alice.page, "awaiting approval")
    expect(alice.page.locator("#reason")).to_contain_text("Waiting for a second person")
    alice.shot("09-run-awaiting-approval")

    bob.login()
    bob.page.goto("/ui/approvals")
    card = bob.page.locator("article.approval", has_text="INC-WEB-5")
    expect(card).to_contain_text("requested by alice.agent")
    bob.check_page("10-approvals")
    card.get_by_role("button", name="Approve").click()
    expect(bob.page.locator("#approvals-msg")).to_contain_text("Approved: password_reset")
    expect(alice.page.locator("#status")).to_have_text("succeeded", timeout=60_000)
    expect(alice.page.locator("#reveal-box")).to_be_visible()
    alice.shot("11-run-approved")

    # A second reset of the same account within minutes is held: cancel it while it waits.
    alice.page.get_by_role("button", name="Re-run with the same parameters").click()
    alice.page.wait_for_url("**/ui/runs/*")
    expect(alice.page.locator("#status")).to_have_text("awaiting approval", timeout=30_000)
    alice.page.get_by_role("button", name="Cancel run").click()
    expect(alice.page.locator("#status")).to_have_text("canceled", timeout=30_000)
    alice.shot("12-run-canceled")

    alice.page.goto("/ui/runs?ticket_id=INC-WEB-5&mine=1")
    rows = alice.page.locator("#runs-table tbody tr")
    # The reset, its re-run, and the check before the reset (withdrawn: a VIP's check waits
    # for approval too).
    expect(rows).to_have_count(3)
    alice.check_page("13-runs-per-ticket")


def test_audit_search_and_admin_pages(agents: dict[str, Agent]) -> None:
    dave = agents["dave.auditor"]
    dave.login()
    dave.page.goto("/ui/audit")
    dave.page.get_by_label("Ticket id").fill("INC-WEB-1")
    dave.page.get_by_role("button", name="Search").click()
    expect(dave.page.locator("#audit-table tbody tr").first).to_be_visible()
    expect(dave.page.locator("#audit-table")).to_contain_text("henry.moreau")
    evidence = dave.page.get_by_role("link", name="Evidence of this ticket (printable HTML)")
    answer = dave.page.request.get(evidence.get_attribute("href") or "")
    assert answer.status == 200
    assert "INC-WEB-1" in answer.text()
    dave.check_page("14-audit-search")
    dave.page.goto("/ui/sla")
    expect(dave.page.locator("#chart-success svg")).to_be_visible()
    dave.check_page("15-sla")
    dave.page.goto("/ui/approvals")
    expect(dave.page.get_by_role("alert")).to_contain_text("approval:decide")
    dave.check_page("16-denied")

    carol = agents["carol.admin"]
    carol.login()
    carol.page.goto("/ui/vetting")
    expect(carol.page.locator("#vetting-table")).to_contain_text("password_reset")
    carol.check_page("17-vetting")
    carol.page.goto("/ui/tokens")
    expect(carol.page.locator("#tokens-msg, #tokens-table tbody")).not_to_have_count(0)
    carol.check_page("18-tokens")


def _counted_reset(counted: Counted, page: Page) -> None:
    """The reset on the picked user, as an agent does it, counted: callback verified."""
    counted.click(page.locator('#actions button[data-action="password_reset"]'))
    counted.select(page.get_by_label("Method *"), "callback")
    counted.type(page.get_by_label("Note"), "called back")
    _counted_run(counted, page)


def _counted_run(counted: Counted, page: Page) -> None:
    """Run now, confirm, and wait for the run page to say succeeded; report the counts."""
    counted.click(page.get_by_role("button", name="Run now"))
    counted.click(page.get_by_role("button", name="Confirm and run"))
    page.wait_for_url("**/ui/runs/*")
    expect(page.locator("#status")).to_have_text("succeeded", timeout=60_000)
    counted.report()


def test_path_figures_reset_and_unlock(agents: dict[str, Agent]) -> None:
    """The agent's reset and unlock paths, from the fix page to the succeeded run: seconds,
    clicks and keystrokes (printed; the figures of the issue's closing note)."""
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page

    reset = Counted("reset (felix.wagner, new ticket)")
    reset.type(page.get_by_label("Ticket id"), "INC-PATH-1", focused=True)
    reset.type(page.get_by_label("Find the user"), "felix")
    reset.click(page.locator('#user-results button[data-username="felix.wagner"]'))
    _counted_reset(reset, page)

    page.goto("/ui/")
    unlock = Counted("unlock (noah.fischer, new ticket)")
    unlock.type(page.get_by_label("Ticket id"), "INC-PATH-2", focused=True)
    unlock.type(page.get_by_label("Find the user"), "noah")
    unlock.click(page.locator('#user-results button[data-username="noah.fischer"]'))
    unlock.click(page.locator('#actions button[data-action="account_unlock"]'))
    _counted_run(unlock, page)

    # The same caller also forgot the password: a second fix on the same ticket.
    again = Counted("reset (noah.fischer, another fix on the unlock's ticket)")
    # The ticket and the user stay: nothing to type again.
    again.click(page.get_by_role("link", name="Another fix on this ticket"))
    expect(page.get_by_label("Ticket id")).to_have_value("INC-PATH-2")
    expect(page.locator("#picked")).to_contain_text("noah.fischer")
    _counted_reset(again, page)
