"""The run page's output (issue 21 item 11): each task marked ok / changed / failed /
skipped, a task name seen again folded into one line with a count, previews marked as such
here and in the runs list, "cancelling…" until a cancel has ended the run, and a spent
one-time password without its Show button."""

from __future__ import annotations

import re

from playwright.sync_api import Page, Route, expect

from tests.web.conftest import Agent
from tests.web.test_agent_path import _run, _start_fix, _verify_caller

SHOW = "Show the temporary password (once)"


def _task(page: Page, name: str) -> tuple[str, str]:
    """The mark and the count of the task line named `name` (one line per name)."""
    line = page.locator(f'#events li.task[data-task="{name}"]')
    expect(line).to_have_count(1)
    expect(line.locator(".mark")).not_to_have_text("running")
    return line.locator(".mark").inner_text(), line.locator(".count").inner_text()


def test_tasks_marked_and_folded_previews_marked(agents: dict[str, Agent]) -> None:
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page
    # A playbook: its tasks ok, the secret round trip (no secret given) skipped.
    alice.smoke_check("INC-OUT-1")
    assert _task(page, "Ping the host") == ("ok", "")
    assert _task(page, "Compare what arrived with what was sent")[0] == "skipped"
    expect(page.locator("#preview")).to_be_hidden()

    # A directory fix: every step carries the fix's name, so its steps fold into one line,
    # marked with what the fix did.
    page.goto("/ui/")
    _start_fix(page, "INC-OUT-2", "chloe", "chloe.nguyen", "account_unlock")
    _run(page, "succeeded")
    mark, count = _task(page, "account_unlock")
    assert mark == "changed"
    # " \u00d7N": how many steps the line folds.
    steps = re.fullmatch(r" ?\u00d7(\d+)", count)
    assert steps is not None and int(steps.group(1)) >= 2, count
    folded = page.locator('#events li.task[data-task="account_unlock"] .task-lines li')
    expect(folded.first).to_be_hidden()
    page.locator('#events li.task[data-task="account_unlock"] summary').click()
    expect(folded.first).to_be_visible()
    alice.shot("20-run-task-marks")

    # A refused one is marked failed.
    page.goto("/ui/")
    page.get_by_label("Ticket id").fill("INC-OUT-3")
    page.locator('#actions button[data-action="account_unlock"]').click()
    page.get_by_label("Username *").fill("adm.nested")
    _run(page, "refused")
    assert _task(page, "account_unlock")[0] == "failed"

    # The check the form ran before the unlock is a preview, in the list and on its page.
    page.goto("/ui/runs?ticket_id=INC-OUT-2")
    rows = page.locator("#runs-table tbody tr")
    expect(rows).to_have_count(2)
    preview = rows.filter(has=page.locator(".s-preview"))
    expect(preview).to_have_count(1)
    alice.check_page("21-runs-preview")
    preview.locator("td").first.get_by_role("link").click()  # the run (the next: its ticket)
    page.wait_for_url("**/ui/runs/*")
    expect(page.locator("#preview")).to_be_visible()
    expect(page.locator("#preview")).to_contain_text("nothing was changed")
    alice.check_page("22-run-preview")


def test_cancelling_feedback_and_spent_password(agents: dict[str, Agent]) -> None:
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page
    _start_fix(page, "INC-OUT-4", "henry", "henry.moreau", "password_reset")
    _verify_caller(page)
    _run(page, "succeeded")
    page.get_by_role("button", name=SHOW).click()
    expect(page.locator("#secret")).not_to_be_empty()
    # Shown once: the button that would ask again is gone, not merely greyed out.
    expect(page.get_by_role("button", name=SHOW)).to_have_count(0)
    # Opened again, the page asks whether the secret can still be shown: it cannot.
    page.reload()
    expect(page.locator("#status")).to_have_text("succeeded")
    expect(page.locator("#reveal-msg")).to_contain_text("Already shown once")
    expect(page.get_by_role("button", name=SHOW)).to_have_count(0)
    expect(page.locator("#secret")).to_be_empty()

    # A VIP's reset waits for approval; its cancel is held on the way to the server, so the
    # page must say "cancelling…" from the click until the run has ended.
    page.goto("/ui/")
    _start_fix(page, "INC-OUT-5", "maria", "maria.rossi", "password_reset")
    _verify_caller(page)
    _run(page, "awaiting approval")
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/runs/*/cancel", hold)
    with page.expect_request("**/runs/*/cancel"):
        page.get_by_role("button", name="Cancel run").click()
    expect(page.locator("#status")).to_have_text("cancelling…")
    expect(page.get_by_role("button", name="Cancel run")).to_be_hidden()
    alice.shot("23-run-cancelling")
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#status")).to_have_text("canceled", timeout=30_000)
    expect(page.get_by_role("button", name="Cancel run")).to_be_hidden()
