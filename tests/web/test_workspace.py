"""The ticket-first workspace in a real browser (issue 21 items 6, 7 and 8): the picked
user's state with the fixes it calls for first and every fix in view; pickers for what the
customer's inventory and allow-lists hold, per customer; the ticket and user kept after a
run, the ticket's runs beside the form, its link into the ticket system (RT here); the runs
list filtered by ticket prefix, status and action in the address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from lab.ews.lab import MailboxLab
from lab.ews.state import Oof
from runner_api.secrets.credentials import FileCredentialSource
from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.lab import LabHandle
from tests.plugins.server import Server
from tests.web.conftest import Agent, served

# Where the runs' tickets live: only links are made to it, nothing is sent there.
RT_URL = "http://rt.lab.test"
TICKET = "20461"  # RT's tickets are numbers


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory, lab: LabHandle) -> Path:
    """A credentials folder of this module's own: the lab's, and the mailboxes' below."""
    return lab.hand_over(tmp_path_factory.mktemp("workspace-credentials") / "credentials")


@pytest.fixture(scope="module")
def mailboxes(credentials: Path) -> Iterator[MailboxLab]:
    """The EWS simulator (not Exchange) where inventories/*/fixline.yml point, its logins
    stored with this module's credentials."""
    simulator = MailboxLab(FileCredentialSource(credentials))
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def web_server(
    tmp_path_factory: pytest.TempPathFactory,
    lab: LabHandle,
    directory_lab: DirectoryLabHandle,
    credentials: Path,
    mailboxes: MailboxLab,
) -> Iterator[Server]:
    """The served Fixline with a ticket system configured (RT's URL) and mailboxes."""
    yield from served(
        tmp_path_factory,
        lab,
        directory_lab,
        FIXLINE_RT_URL=RT_URL,
        FIXLINE_CREDENTIALS_DIR=str(credentials),
    )


def _pick(page: Page, query: str, username: str) -> None:
    page.get_by_label("Find the user").fill(query)
    page.locator(f'#user-results button[data-username="{username}"]').click()
    expect(page.locator("#picked")).to_contain_text(username)


def _fact(page: Page, name: str) -> str:
    fact = page.locator(f'#user-facts dd[data-fact="{name}"]')
    expect(fact).not_to_have_text("looking…")
    return fact.inner_text()


def _fix_order(page: Page) -> list[str]:
    buttons = page.locator("#actions button.fix")
    return [b.get_attribute("data-action") or "" for b in buttons.all()]


def test_user_state_first_and_every_fix_in_view(
    agents: dict[str, Agent], mailboxes: MailboxLab
) -> None:
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page
    catalog = page.request.get("/actions").json()
    expect(page.locator("#actions button.fix")).to_have_count(len(catalog))
    _pick(page, "chloe", "chloe.nguyen")

    state = page.locator("#user-state")
    expect(state).to_be_visible()
    assert _fact(page, "Locked out") == "yes: locked"
    assert _fact(page, "Enabled") == "yes"
    assert _fact(page, "Must change password") == "no"
    assert "day(s) ago" in _fact(page, "Password")
    assert "Sales-Team" in _fact(page, "Groups")
    assert _fact(page, "Lives in") == "Active Directory"
    # Chloe has no mailbox in the lab's Exchange: the reason, never a guess.
    assert _fact(page, "Out of office").startswith("not known: ")

    # What the state calls for first, with why; then the rest, none hidden.
    expect(page.locator("#actions h3").first).to_have_text("Suggested for Chloe Nguyen")
    assert _fix_order(page)[:2] == ["account_unlock", "password_reset"]
    expect(page.locator('#actions button[data-action="account_unlock"]')).to_contain_text(
        "(locked out)"
    )
    assert sorted(_fix_order(page)) == sorted(a["name"] for a in catalog)
    # No scroll box, no label cut: every button whole, inside the page.
    assert page.evaluate(
        "(() => { const box = document.getElementById('actions');"
        " return box.scrollHeight <= box.clientHeight + 1 && getComputedStyle(box).overflowY"
        " === 'visible'; })()"
    )
    cut = page.evaluate(
        "[...document.querySelectorAll('#actions button.fix')].filter((b) =>"
        " b.scrollWidth > b.clientWidth + 1 || b.scrollHeight > b.clientHeight + 1)"
        ".map((b) => b.dataset.action)"
    )
    assert cut == []
    alice.check_page("40-fix-user-state")
    # check_page reloads: the picked user is in the address and comes back.
    expect(page.locator("#picked")).to_contain_text("chloe.nguyen")
    expect(page.locator("#user-state")).to_be_visible()

    _pick(page, "daniel", "daniel.okafor")
    assert _fact(page, "Enabled") == "no: disabled"
    expect(page.locator("#actions button.fix").first).to_have_attribute(
        "data-action", "account_enable"
    )
    _pick(page, "felix", "felix.wagner")
    assert _fact(page, "Must change password") == "yes"
    assert _fix_order(page)[0] == "password_reset"
    expect(page.locator("#actions button.fix").first).to_contain_text("must change password")

    # Out of office, read from the mailbox: off, then on (set in Exchange meanwhile).
    _pick(page, "henry", "henry.moreau")
    assert _fact(page, "Out of office") == "off"
    assert "Suggested" not in page.locator("#actions h3").first.inner_text()
    mailboxes.simulator.state.mailboxes["henry.moreau@lab.test"].oof = Oof(state="Enabled")
    page.reload()
    expect(page.locator("#picked")).to_contain_text("henry.moreau")
    assert _fact(page, "Out of office") == "on"
    expect(page.locator("#actions button.fix").first).to_have_attribute(
        "data-action", "mailbox_oof_clear"
    )
    expect(page.locator("#actions button.fix").first).to_contain_text("out of office is on")


def test_pickers_hold_the_customers_lists_and_no_one_elses(agents: dict[str, Agent]) -> None:
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page

    def options(label: str) -> list[str]:
        field = page.get_by_label(label)
        assert field.evaluate("e => e.tagName") == "SELECT", label
        return [o for o in field.locator("option").all_inner_texts()]

    page.locator('#actions button[data-action="service_restart"]').click()
    expect(page.get_by_label("Host *")).to_have_attribute("data-source", "inventory")
    assert options("Host *") == ["choose…", "lab-host", "lab-offline"]
    assert options("Unit *") == ["choose…", "fixline-lab-web"]
    expect(page.locator("#p-unit-hint")).to_contain_text("services allow-list")
    page.locator('#actions button[data-action="software_install"]').click()
    assert options("Package *") == ["choose…", "fixline-lab-hello"]
    page.locator('#actions button[data-action="group_add"]').click()
    assert options("Group *") == ["choose…", "VPN-Users"]
    # A login is free text (a pattern, not a list): still a text field.
    assert page.get_by_label("Username *").evaluate("e => e.tagName") == "INPUT"
    alice.shot("41-fix-pickers")

    # What is picked is what runs.
    alice.smoke_check("INC-WEB-PICK-1")

    # An agent of contoso only: contoso has no hosts, and lab's are not there to be seen.
    erin = agents["erin.agent"]
    erin.login()
    assert erin.page.locator("#customer option").all_inner_texts() == ["contoso"]
    erin.page.locator('#actions button[data-action="smoke_check"]').click()
    host = erin.page.get_by_label("Host *")
    expect(host.locator("option")).to_have_text(["none on this customer's list"])
    assert "lab-host" not in erin.page.content()
    answer = erin.page.request.get("/actions/smoke_check/choices?customer=lab")
    assert answer.status == 404, answer.text()
    assert "lab-host" not in answer.text()


def test_ticket_workspace_and_the_runs_list(agents: dict[str, Agent]) -> None:
    alice = agents["alice.agent"]
    alice.login()
    page = alice.page
    page.get_by_label("Ticket id").fill(TICKET)
    expect(page.locator("#ticket-runs-msg")).to_have_text(f"No run on {TICKET} yet.")
    _pick(page, "grace", "grace.kim")
    page.locator('#actions button[data-action="account_unlock"]').click()
    page.get_by_role("button", name="Run now").click()
    page.get_by_role("button", name="Confirm and run").click()
    page.wait_for_url("**/ui/runs/*")
    expect(page.locator("#status")).to_have_text("succeeded", timeout=60_000)
    rt = page.locator("#workspace-links a.ticket-link")
    expect(rt).to_have_attribute("href", f"{RT_URL}/Ticket/Display.html?id={TICKET}")

    # Another fix on this ticket: the ticket and the user stay, the ticket's runs beside.
    page.get_by_role("link", name="Another fix on this ticket").click()
    expect(page.get_by_label("Ticket id")).to_have_value(TICKET)
    expect(page.locator("#picked")).to_contain_text("grace.kim")
    runs = page.locator("#ticket-runs li")
    expect(runs).to_have_count(2)  # the unlock and the check before it
    expect(runs.first).to_contain_text("account_unlock on grace.kim")
    expect(runs.first).to_contain_text("succeeded")
    expect(page.locator("#ticket-links a.ticket-link")).to_have_attribute(
        "href", f"{RT_URL}/Ticket/Display.html?id={TICKET}"
    )
    alice.check_page("42-ticket-workspace")
    expect(page.get_by_label("Ticket id")).to_have_value(TICKET)  # reloaded: still there
    expect(runs).to_have_count(2)

    # Another ticket, another fix: the runs list then filters by prefix, status and action.
    page.get_by_label("Ticket id").fill(f"{TICKET}-2")
    expect(page.locator("#ticket-runs-msg")).to_have_text(f"No run on {TICKET}-2 yet.")
    page.locator('#actions button[data-action="smoke_check"]').click()
    page.get_by_label("Host *").select_option("lab-host")
    page.get_by_role("button", name="Run now").click()
    page.wait_for_url("**/ui/runs/*")
    expect(page.locator("#status")).to_have_text("succeeded", timeout=60_000)
    # A ticket id RT does not have (not a number): no link is made.
    page.goto(f"/ui/runs?ticket_prefix={TICKET}")
    table = page.locator("#runs-table tbody tr")
    expect(table).to_have_count(3)
    expect(page.locator("#runs-table a.ticket-link")).to_have_count(2)

    page.get_by_label("Action").select_option("account_unlock")
    page.get_by_label("Status").select_option("succeeded")
    page.get_by_role("button", name="Show").click()
    expect(table).to_have_count(2)  # the unlock, and its check (a preview)
    expect(table.locator(".s-preview")).to_have_count(1)
    query = parse_qs(urlsplit(page.url).query)
    assert query == {
        "ticket_prefix": [TICKET],
        "action": ["account_unlock"],
        "status": ["succeeded"],
    }
    alice.check_page("43-runs-filtered")
    # check_page reloaded the page: the filters and the runs they show are still there.
    expect(page.get_by_label("Ticket id starts with")).to_have_value(TICKET)
    expect(page.get_by_label("Action")).to_have_value("account_unlock")
    expect(page.get_by_label("Status")).to_have_value("succeeded")
    expect(table).to_have_count(2)
    expect(table.first).to_contain_text("grace.kim")
    page.get_by_label("Ticket id starts with").fill(f"{TICKET}-")
    page.get_by_label("Action").select_option("")
    page.get_by_label("Status").select_option("")
    page.get_by_role("button", name="Show").click()
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text("smoke_check")
