"""POST /auth/login against the real lab DC: roles per group, no bind with a blank password,
usernames escaped in the filter, an account without a role answered as a wrong password,
throttling."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from lab.directory_data import LAB_USER_PASSWORD
from runner_api.app import create_app
from runner_api.auth.lockout import LockoutPolicy
from runner_api.auth.login_directory import LoginRejectedError
from runner_api.settings import Settings
from tests.auth.conftest import PROJECT_DIR, AuthApp
from tests.plugins.directory_lab import DirectoryLabHandle

EVERY = None


@pytest.mark.parametrize(
    ("username", "roles", "customers"),
    [
        ("alice.agent", ["agent"], ["lab"]),
        ("bob.senior", ["senior_agent"], ["contoso", "lab"]),
        ("carol.admin", ["admin"], EVERY),
        ("dave.auditor", ["auditor"], EVERY),
        ("erin.agent", ["agent"], ["contoso"]),
        # Only through Fixline-Night-Shift, nested in Fixline-Agents and Fixline-Customer-lab.
        ("frank.nested", ["agent"], ["lab"]),
    ],
)
def test_each_role_logs_in_with_its_roles_and_customers(
    auth_app: AuthApp, username: str, roles: list[str], customers: list[str] | None
) -> None:
    answer = auth_app.login(username)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["username"] == username
    assert body["roles"] == roles
    assert body["customers"] == customers
    assert body["display_name"]
    assert answer.headers["cache-control"] == "no-store"
    me = auth_app.client.get("/auth/me")
    assert me.status_code == 200
    assert me.json() == body
    [event] = auth_app.audit("auth.login")
    assert event["actor"] == username
    assert event["data"]["roles"] == roles


def test_the_cookie_is_httponly_secure_strict_and_site_wide(auth_app: AuthApp) -> None:
    answer = auth_app.login("alice.agent")

    cookie = answer.headers["set-cookie"]
    parts = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert cookie.startswith("fixline_session=")
    # 256 random bits, URL-safe base64.
    assert len(cookie.split(";")[0].removeprefix("fixline_session=")) >= 43
    assert "httponly" in parts
    assert "secure" in parts
    assert parts["samesite"].lower() == "samesite=strict"
    assert parts["path"] == "Path=/"
    # The row keeps only the token's SHA-256.
    token = auth_app.client.cookies["fixline_session"]
    record = auth_app.core.sessions.find(token)
    assert record is not None
    assert record.id != token
    assert len(record.id) == 64


@pytest.mark.parametrize("password", ["", " ", "   \t", "\x00", "Fixline-Lab-User-1!\x00"])
def test_blank_or_nul_passwords_are_refused_before_any_bind(
    auth_app: AuthApp, password: str
) -> None:
    answer = auth_app.login("alice.agent", password)

    assert answer.status_code == 401
    assert auth_app.directory.binds == 0
    with pytest.raises(LoginRejectedError):
        auth_app.directory.authenticate("alice.agent", password, LockoutPolicy(3, 1800))
    assert auth_app.directory.binds == 0
    [event] = auth_app.audit("auth.login_failed")
    assert "no bind" in event["data"]["reason"]


@pytest.mark.parametrize(
    "username",
    [
        "*",
        "alice*",
        "*)(sAMAccountName=*",
        "alice.agent)(|(objectClass=*",
        "alice.agent\x00",
        "CN=Alice Agent,OU=Helpdesk Staff,DC=lab,DC=test",
        "alice.agent@lab.test",
        "nobody.here",
        # A customer's user: outside the helpdesk OU, so never a Fixline login.
        "anna.schmidt",
    ],
)
def test_wildcards_injection_and_foreign_names_do_not_log_in(
    auth_app: AuthApp, username: str
) -> None:
    answer = auth_app.login(username)

    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "wrong username or password"
    assert "fixline_session" not in auth_app.client.cookies
    # Only the lookup account ever binds: no user was found to bind as.
    assert auth_app.directory.binds <= 1


def test_wrong_password_is_401_and_audited_without_the_password(
    auth_app: AuthApp, lab_dc_restored: DirectoryLabHandle
) -> None:
    answer = auth_app.login("alice.agent", "Wrong-Password-42")

    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "wrong username or password"
    [event] = auth_app.audit("auth.login_failed")
    assert event["target"] == "user:alice.agent"
    assert "invalid credentials" in event["data"]["reason"]
    assert "Wrong-Password-42" not in str(event)


def test_a_right_password_without_a_role_answers_as_a_wrong_one(
    auth_app: AuthApp, lab_dc_restored: DirectoryLabHandle
) -> None:
    wrong = auth_app.login("gina.nogroup", "Wrong-Password-42")
    wrong_binds = auth_app.directory.binds
    right = auth_app.login("gina.nogroup")

    # The same status, body and headers: nothing confirms the password to whoever typed it.
    assert right.status_code == wrong.status_code == 401
    assert right.json() == wrong.json()
    assert _headers(right) == _headers(wrong)
    assert "fixline_session" not in auth_app.client.cookies
    # The same way through the directory (lookup, groups, then the bind): no shortcut that
    # would tell the two apart by the time they take.
    assert auth_app.directory.binds == 2 * wrong_binds
    # The audit log keeps the real reason.
    reasons = [event["data"]["reason"] for event in auth_app.audit("auth.login_failed")]
    assert "invalid credentials" in reasons[0]
    assert reasons[1].startswith("no_role")
    # It counts as a failed login too: a limit that only wrong passwords reach would tell.
    assert auth_app.login("gina.nogroup").status_code == 429


def _headers(answer: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in answer.headers.items() if k not in ("date", "content-length")}


def test_failed_logins_per_username_hit_429_before_any_bind(auth_app: AuthApp) -> None:
    # An unknown name: no real account gets near Samba's lockout threshold.
    for _ in range(2):
        assert auth_app.login("nobody.here", "Guess-1").status_code == 401
    binds = auth_app.directory.binds

    answer = auth_app.login("nobody.here", "Guess-2")

    assert answer.status_code == 429
    # Failures are forgotten as the lab DC forgets them: 30 minutes after the last one.
    assert 1 <= int(answer.headers["retry-after"]) <= 1800
    assert auth_app.directory.binds == binds
    assert any(e["data"]["reason"] == "rate limited" for e in auth_app.audit("auth.login_failed"))
    # Another name from the same address still gets through (the address limit is higher).
    assert auth_app.login("carol.admin").status_code == 200


def test_failed_logins_per_address_hit_429(make_app: Callable[..., AuthApp]) -> None:
    app = make_app(login_max_failures_per_address=3)
    for name in ("nobody.one", "nobody.two", "nobody.three"):
        assert app.login(name, "Guess-1").status_code == 401

    answer = app.login("alice.agent")

    assert answer.status_code == 429
    assert "retry-after" in answer.headers


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_directory_down_is_503_at_once(make_app: Callable[..., AuthApp]) -> None:
    app = make_app(login_ldap_url=f"ldaps://127.0.0.1:{_closed_port()}")
    started = time.monotonic()

    answer = app.login("alice.agent")

    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "login_unavailable"
    assert time.monotonic() - started < 3
    [event] = app.audit("auth.login_failed")
    assert "did not answer" in event["data"]["reason"]


def test_a_certificate_for_another_name_is_refused(make_app: Callable[..., AuthApp]) -> None:
    app = make_app(login_tls_name="dc1.contoso.test")

    answer = app.login("alice.agent")

    assert answer.status_code == 503
    assert "TLS" in answer.json()["error"]["message"]


def test_form_encoded_login_works_too(auth_app: AuthApp) -> None:
    answer = auth_app.client.post(
        "/auth/login", data={"username": "dave.auditor", "password": LAB_USER_PASSWORD}
    )

    assert answer.status_code == 200
    assert answer.json()["roles"] == ["auditor"]


def test_login_switched_off_is_401_not_503(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", project_dir=PROJECT_DIR, workers=1)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        answer = client.post("/auth/login", json={"username": "alice.agent", "password": "x"})

    assert answer.status_code == 401
    assert "not enabled" in answer.json()["error"]["message"]
