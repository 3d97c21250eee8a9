"""Browser tests: Python Playwright driving Debian's chromium against a real `fixline serve`
with the lab (sshd, Samba DCs). Never `playwright install`: no browser is downloaded."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from lab.directory_data import LAB_USER_PASSWORD

# `core` and `client`: an app without the lab, as the authorization tests build it (test_docs).
from tests.authz.conftest import client, core  # noqa: F401
from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.lab import LabHandle
from tests.plugins.server import Server

CHROMIUM = os.environ.get("FIXLINE_TEST_CHROMIUM", "/usr/bin/chromium")
# Optional hardening of the reference notes; Playwright adds --headless and --no-sandbox.
CHROMIUM_ARGS = ["--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
CHROMIUM_ARGS += ["--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 400, "height": 800}
ACCESSIBILITY = (Path(__file__).parent / "accessibility.js").read_text()


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Debian's chromium, headless; fails (never skips) when it is not installed."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-deps.sh (installs chromium)")
    # Playwright and chromium write caches and profiles under HOME and TMPDIR: keep them here.
    home = tmp_path_factory.mktemp("browser-home")
    saved = {k: os.environ.get(k) for k in ("HOME", "TMPDIR", "PLAYWRIGHT_BROWSERS_PATH")}
    os.environ.update(HOME=str(home), TMPDIR=str(home), PLAYWRIGHT_BROWSERS_PATH=str(home / "pw"))
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            yield launched
            launched.close()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots of the web page: {SCREENSHOTS}")
    return SCREENSHOTS


def _env(settings: dict[str, object]) -> dict[str, str]:
    plain = {k: getattr(v, "get_secret_value", lambda v=v: v)() for k, v in settings.items()}
    return {f"FIXLINE_{k.upper()}": str(v) for k, v in plain.items()}


def server_env(directory_lab: DirectoryLabHandle) -> dict[str, str]:
    """Settings of a served Fixline for a browser: agents log in against the lab DC, over
    http (a Secure cookie would never be sent back)."""
    return {
        **_env(dict(directory_lab.lab.login_settings())),
        "FIXLINE_SESSION_COOKIE_SECURE": "false",
    }


def served(
    tmp_path_factory: pytest.TempPathFactory,
    lab: LabHandle,
    directory_lab: DirectoryLabHandle,
    **settings: str,
) -> Iterator[Server]:
    """`fixline serve` over http with agent login against the lab DC (and more FIXLINE_*
    `settings`); the DCs start at the sample data (locked, protected and VIP users as
    shipped)."""
    for customer in directory_lab.customers:
        directory_lab.reset(customer)
    root = tmp_path_factory.mktemp("web")
    server = Server(data_dir=root / "data", lab=lab, log_path=root / "service.log")
    server.extra_env = {**server_env(directory_lab), **settings}
    server.start()
    yield server
    server.stop()
    server.client.close()


@pytest.fixture(scope="module")
def web_server(
    tmp_path_factory: pytest.TempPathFactory, lab: LabHandle, directory_lab: DirectoryLabHandle
) -> Iterator[Server]:
    """The served Fixline of a test module (served above)."""
    yield from served(tmp_path_factory, lab, directory_lab)


class Agent:
    """One signed-in agent in its own browser context (own cookies)."""

    def __init__(self, browser: Browser, server: Server, shots: Path, name: str) -> None:
        self.base = f"http://127.0.0.1:{server.port}"
        self.context = browser.new_context(viewport=WIDE, base_url=self.base)
        self.page: Page = self.context.new_page()
        self.shots = shots
        self.name = name

    def login(self, password: str = LAB_USER_PASSWORD) -> None:
        self.page.goto("/ui/")  # no session yet: redirected to the login form
        self.page.get_by_label("Username").fill(self.name)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        # Agents land on the fix form, auditors on the runs list (the login URL's own
        # ?next=/ui/ must not count as arrived).
        self.page.wait_for_url(lambda url: "/ui/login" not in url)

    def smoke_check(self, ticket: str) -> None:
        """On the fix form: a smoke_check of lab-host on `ticket` (low risk: it runs on the
        click), then on its run page until it succeeded."""
        self.page.get_by_label("Ticket id").fill(ticket)
        self.page.locator('#actions button[data-action="smoke_check"]').click()
        self.page.get_by_label("Host *").select_option("lab-host")
        self.page.get_by_role("button", name="Run now").click()
        self.page.wait_for_url("**/ui/runs/*")
        expect(self.page.locator("#status")).to_have_text("succeeded", timeout=60_000)

    def shot(self, label: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{label}.png"), full_page=True)

    def check_page(self, label: str) -> None:
        """Labels, names, contrast and keyboard, wide and narrow; a screenshot of each."""
        problems = self.page.evaluate(ACCESSIBILITY)
        assert problems == [], f"{label}: {problems}"
        self.shot(label)
        self.page.set_viewport_size(NARROW)
        problems = self.page.evaluate(ACCESSIBILITY)
        assert problems == [], f"{label} (narrow): {problems}"
        self.shot(f"{label}-narrow")
        self.page.set_viewport_size(WIDE)
        self.page.reload()  # keyboard from the top of a freshly loaded page
        if self.page.evaluate("document.activeElement !== document.body"):
            # A page that starts the focus in its first field (the fix form's ticket id)
            # needs no skip link: the focus is in the content already.
            assert self.page.evaluate("!!document.activeElement.closest('#main')"), label
            return
        self.page.keyboard.press("Tab")  # the first stop is the skip link...
        assert self.page.evaluate("document.activeElement.className") == "skip", label
        self.page.keyboard.press("Enter")  # ...which moves the focus to the content
        assert self.page.evaluate("document.activeElement.id") == "main", label


@pytest.fixture
def agents(browser: Browser, web_server: Server, screenshots: Path) -> Iterator[dict[str, Agent]]:
    made: dict[str, Agent] = {}

    class Agents(dict[str, Agent]):
        def __missing__(self, name: str) -> Agent:
            made[name] = self[name] = Agent(browser, web_server, screenshots, name)
            return made[name]

    yield Agents()
    for agent in made.values():
        agent.context.close()
