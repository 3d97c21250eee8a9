"""The page routes without a browser: redirects, role checks, headers, local assets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from runner_api.app import create_app
from runner_api.auth.principal import Role
from runner_api.core import Core
from runner_api.settings import Settings
from tests.authz.conftest import by, lab_free_settings

ADMIN = "web-bootstrap-0123456789abcdef"
PROJECT_DIR = Path(__file__).resolve().parents[2]
PAGES = ["/ui/", "/ui/runs", "/ui/runs/r-1", "/ui/approvals", "/ui/audit", "/ui/sla"]
PAGES += ["/ui/vetting", "/ui/tokens"]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "data",
        project_dir=PROJECT_DIR,
        credentials_dir=tmp_path / "no-credentials",
        bootstrap_token=ADMIN,  # type: ignore[arg-type]
        workers=1,
    )
    core = Core(settings)
    with TestClient(create_app(settings, core), base_url="https://testserver") as client:
        client.app_state_core = core  # type: ignore[attr-defined]
        yield client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", PAGES)
def test_a_page_without_a_session_goes_to_the_login(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ui/login?next=")


def test_the_login_page_and_assets_are_public_and_local(client: TestClient) -> None:
    page = client.get("/ui/login?next=//evil.example/")
    assert page.status_code == 200
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self'
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'data-next="/ui/"' in page.text  # a foreign next is dropped
    assert "http" not in page.text.replace("http-equiv", "")  # no CDN, no outside asset
    for asset in ["fixline.css", "common.js", "login.js", "fix.js", "run.js", "sla.js"]:
        assert client.get(f"/ui/static/{asset}").status_code == 200, asset


@pytest.mark.parametrize("path", PAGES)
def test_an_admin_opens_every_page(client: TestClient, path: str) -> None:
    answer = client.get(path, headers=_bearer(ADMIN))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert '<main id="main"' in answer.text


def test_a_role_without_the_permission_gets_an_html_refusal(client: TestClient) -> None:
    core: Core = client.app_state_core  # type: ignore[attr-defined]
    auditor = core.tokens.create(
        name="aud",
        role=Role.AUDITOR,
        customers=None,
        actions=None,
        created_by=by("t"),
    )
    answer = client.get("/ui/approvals", headers=_bearer(auditor.secret))
    assert answer.status_code == 403
    assert "Not allowed" in answer.text
    assert "approval:decide" in answer.text
    assert client.get("/ui/audit", headers=_bearer(auditor.secret)).status_code == 200
    # The API keeps its JSON errors.
    assert client.get("/approvals", headers=_bearer(auditor.secret)).json()["error"]


def test_pages_carry_the_ticket_link_only_where_a_ticket_system_is_set(
    client: TestClient, tmp_path: Path
) -> None:
    assert "fixline-ticket-link" not in client.get("/ui/runs", headers=_bearer(ADMIN)).text
    settings = lab_free_settings(
        tmp_path / "rt", bootstrap_token=ADMIN, rt_url="https://rt.example"
    )
    with TestClient(create_app(settings, Core(settings)), base_url="https://testserver") as rt:
        page = rt.get("/ui/runs", headers=_bearer(ADMIN)).text
    template = "https://rt.example/Ticket/Display.html?id={ticket_id}"
    assert f'<meta name="fixline-ticket-link" content="{template}">' in page
    assert '<meta name="fixline-ticket-link-fits" content="^[0-9]+$">' in page
