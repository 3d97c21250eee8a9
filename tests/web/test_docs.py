"""The API reference page (/docs) works offline: every script, style and request comes from
Fixline itself, and its Content-Security-Policy allows nothing else. Without the lab: an
app on the embedded defaults, served by uvicorn for Debian's chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage

from runner_api.app import create_app
from runner_api.core import Core
from runner_api.web.pages import PAGE_PREFIX, PAGES
from tests.authz.conftest import ADMIN_TOKEN
from tests.plugins.server import serving_in_thread

DOC_PAGES = ("/docs",)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
# An absolute URL or a scheme-relative one in an attribute or a CSS url(): an outside origin.
OUTSIDE = re.compile(
    r"""(?:src|href|action)\s*=\s*["']?\s*(?:[a-z]+:)?//|url\(\s*["']?(?:[a-z]+:)?//""", re.I
)


def _csp(value: str) -> dict[str, list[str]]:
    parts = (p.split() for p in value.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def test_no_served_page_references_an_outside_origin(client: TestClient) -> None:
    pages = [*DOC_PAGES, f"{PAGE_PREFIX}/login"]
    pages += [PAGE_PREFIX + path for path, *_ in PAGES]
    for path in pages:
        answer = client.get(path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert answer.status_code == 200, (path, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html"), path
        assert OUTSIDE.search(answer.text) is None, (path, OUTSIDE.search(answer.text))
        policy = _csp(answer.headers.get("content-security-policy", ""))
        scripts = policy.get("script-src", policy.get("default-src"))
        assert scripts == ["'self'"], (path, policy)
        # No inline script: each one is a file of the same origin.
        for attributes, body in SCRIPT.findall(answer.text):
            assert 'src="/' in attributes and not body.strip(), (path, attributes)


def test_the_reference_pages_assets_are_served_by_fixline(client: TestClient) -> None:
    for path in DOC_PAGES:
        html = client.get(path).text
        for asset in re.findall(r"""(?:src|href)="([^"]+)""", html):
            answer = client.get(asset)
            assert answer.status_code == 200 and answer.content, (path, asset)
            assert answer.headers["x-content-type-options"] == "nosniff", asset
    assert client.get("/docs/assets/../../settings.py").status_code == 404
    # FastAPI's CDN pages are gone (ReDoc 2 loads its logo from redocly's CDN: no /redoc).
    for gone in ("/docs/oauth2-redirect", "/redoc"):
        assert client.get(gone).status_code == 404, gone


@pytest.fixture
def served(core: Core) -> Iterator[str]:
    """The app under uvicorn on a free loopback port (the browser needs a real server)."""
    with serving_in_thread(create_app(core.settings, core)) as url:
        yield url


def test_the_reference_page_renders_offline(browser: Browser, served: str) -> None:
    rendered = ".opblock"  # one per operation
    context = browser.new_context(base_url=served)
    page = context.new_page()
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda m: problems.append(m.text) if _bad(m) else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto("/docs")
        page.wait_for_selector(rendered, timeout=20_000)
        assert page.locator(rendered).count() > 5
    finally:
        context.close()
    origin = urlsplit(served)
    assert [u for u in requests if urlsplit(u)[:2] != origin[:2]] == []
    assert problems == []


def _bad(message: ConsoleMessage) -> bool:
    return message.type == "error" or "Content Security Policy" in message.text
