"""An agent's Entra ID fix in a real browser: the lab customer made hybrid (the lab's Samba
AD beside the `lab` tenant of the Graph simulator, not Microsoft, which runs in this test
process), the picker showing where each account lives, session_revoke of a cloud-only
user, the Temporary Access Pass form, and the note when Entra ID does not answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from runner_api.secrets.credentials import FileCredentialSource
from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.graph_lab import GraphLab, entra_inventories
from tests.plugins.lab import LabHandle
from tests.plugins.server import Server
from tests.web.conftest import Agent, server_env

ZOE = "zoe.martin@lab.test"


@pytest.fixture
def entra_web_server(
    tmp_path: Path, lab: LabHandle, directory_lab: DirectoryLabHandle, graph_lab: GraphLab
) -> Iterator[Server]:
    """`fixline serve` with agent login against the lab DC, whose lab customer is hybrid:
    its own inventories folder with `entra:` on the simulator, and the app's credential
    (with the simulator's CA) in the credentials folder it imports at start."""
    directory_lab.reset("lab")
    simulator = graph_lab.simulator
    inventories = entra_inventories(tmp_path / "inventories", simulator, graph_lab.credentials)
    data = tmp_path / "data"
    FileCredentialSource(data / "credentials").store_graph_credential(
        "lab", graph_lab.credentials["lab"].graph_credential(simulator.ca_pem)
    )
    server = Server(data_dir=data, lab=lab, log_path=tmp_path / "service.log")
    server.extra_env = {
        **server_env(directory_lab),
        "FIXLINE_INVENTORIES_DIR": str(inventories),
    }
    server.start()
    yield server
    server.stop()
    server.client.close()


def _pick(page: Page, query: str, username: str) -> None:
    page.get_by_label("Find the user").fill(query)
    page.locator(f'#user-results button[data-username="{username}"]').click()


def test_hybrid_picker_session_revoke_and_the_pass_form(
    browser: Browser, entra_web_server: Server, screenshots: Path, graph_lab: GraphLab
) -> None:
    alice = Agent(browser, entra_web_server, screenshots, "alice.agent")
    page = alice.page
    try:
        alice.login()
        page.get_by_label("Customer").select_option("lab")
        page.get_by_label("Find the user").fill("ma")
        results = page.locator("#user-results")
        zoe = results.locator(f'button[data-username="{ZOE}"]')
        expect(zoe).to_contain_text("Entra ID (cloud-only)")
        # Graph cannot tell a cloud account's lock state: not shown as unlocked.
        expect(zoe).to_contain_text("lock state not known")
        expect(zoe).not_to_contain_text("unlocked")
        emma = results.locator('button[data-username="emma.larsen"]')
        expect(emma).to_contain_text("synced: AD + Entra ID")
        expect(emma).to_contain_text("emma.larsen@lab.test")
        expect(results.locator('button[data-username="maria.rossi"]')).to_contain_text(
            "Active Directory"
        )
        expect(page.locator("#user-note")).to_be_empty()
        alice.check_page("entra-01-picker-origins")

        page.get_by_label("Ticket id").fill("INC-WEB-ENTRA-1")
        _pick(page, "ma", ZOE)
        expect(page.locator("#picked")).to_contain_text(f"({ZOE}), Entra ID (cloud-only)")
        page.locator('#actions button[data-action="session_revoke"]').click()
        expect(page.get_by_label("Username *")).to_have_value(ZOE)
        page.get_by_role("button", name="Run now").click()
        page.get_by_role("button", name="Confirm and run").click()  # medium risk: asks first
        page.wait_for_url("**/ui/runs/*")
        expect(page.locator("#status")).to_have_text("succeeded", timeout=60_000)
        revoked = [
            r for r in graph_lab.simulator.requests if r.path.endswith("/revokeSignInSessions")
        ]
        assert len(revoked) == 1 and graph_lab.user_id("zoe.martin", "lab") in revoked[0].path
        alice.shot("entra-02-session-revoked")

        page.goto("/ui/")
        _pick(page, "zoe", ZOE)
        page.locator('#actions button[data-action="temporary_access_pass"]').click()
        expect(page.get_by_label("Username *")).to_have_value(ZOE)
        expect(page.get_by_label("Lifetime minutes")).to_have_value("60")
        expect(page.get_by_label("Usable once")).to_be_checked()
        expect(page.get_by_label("Method *")).to_be_visible()
        alice.shot("entra-03-temporary-access-pass-form")

        # Entra ID throttles the search: AD's accounts, and the note saying what is missing.
        graph_lab.simulator.throttle(1, retry_after_s=120)
        page.get_by_label("Find the user").fill("anna")
        expect(results.locator('button[data-username="anna.schmidt"]')).to_be_visible()
        note = page.locator("#user-note")
        expect(note).to_contain_text("Entra ID did not answer, so these results are incomplete")
        expect(note).to_contain_text("cloud-only accounts are missing")
        expect(note).to_contain_text("graph_throttled")
        alice.shot("entra-04-picker-entra-unavailable")
    finally:
        alice.context.close()
