"""Web sessions: CSRF on unsafe requests, logout, idle/absolute timeouts, role re-reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE

from lab.directory_data import LAB_USER_PASSWORD
from tests.auth.conftest import AuthApp
from tests.plugins.directory_lab import DirectoryLabHandle

HANK = "CN=Hank Agent,OU=Helpdesk Staff,DC=lab,DC=test"


def _group_dn(name: str) -> str:
    return f"CN={name},OU=Helpdesk Staff,DC=lab,DC=test"


def _as_admin(directory_lab: DirectoryLabHandle, dn: str, change: dict[str, Any]) -> None:
    """Change the helpdesk's directory behind Fixline's back, as Administrator."""
    admin = directory_lab.admin_connection("lab")
    try:
        assert admin.modify(dn, change), admin.result
    finally:
        admin.unbind()


def test_unsafe_requests_need_the_csrf_token(auth_app: AuthApp) -> None:
    csrf = auth_app.login("alice.agent").json()["csrf_token"]

    missing = auth_app.client.post("/auth/logout")
    wrong = auth_app.client.post("/auth/logout", headers={"X-CSRF-Token": "0" * 64})
    other_route = auth_app.client.post("/runs", json={})
    passes = auth_app.client.post("/runs", json={}, headers={"X-CSRF-Token": csrf})

    assert missing.status_code == 403
    assert wrong.status_code == 403
    assert other_route.status_code == 403
    # Past authentication: the empty body is what is wrong now.
    assert passes.status_code == 422
    assert auth_app.client.get("/auth/me").status_code == 200
    denied = [e for e in auth_app.audit("auth.denied") if e["data"].get("reason") == "csrf"]
    assert len(denied) == 3
    assert {e["actor"] for e in denied} == {"alice.agent"}


def test_logout_ends_the_session(auth_app: AuthApp) -> None:
    csrf = auth_app.login("bob.senior").json()["csrf_token"]
    token = auth_app.client.cookies["fixline_session"]

    answer = auth_app.client.post("/auth/logout", headers={"X-CSRF-Token": csrf})

    assert answer.status_code == 204
    assert auth_app.audit("auth.logout")[0]["actor"] == "bob.senior"
    # Even a kept copy of the cookie is dead now.
    auth_app.client.cookies.set("fixline_session", token)
    assert auth_app.client.get("/auth/me").status_code == 401


def test_a_form_post_may_carry_the_token_as_a_field(auth_app: AuthApp) -> None:
    csrf = auth_app.login("alice.agent").json()["csrf_token"]

    answer = auth_app.client.post("/auth/logout", data={"csrf_token": csrf})

    assert answer.status_code == 204


def test_an_idle_session_ends(auth_app: AuthApp) -> None:
    auth_app.login("alice.agent")
    auth_app.clock.advance(1799)
    assert auth_app.client.get("/auth/me").status_code == 200

    auth_app.clock.advance(1800)
    answer = auth_app.client.get("/auth/me")

    assert answer.status_code == 401
    assert "idle timeout" in answer.json()["error"]["message"]
    assert auth_app.audit("auth.session_ended")[0]["data"]["reason"] == "idle timeout"


def test_a_used_session_still_ends_at_the_absolute_timeout(
    make_app: Callable[..., AuthApp],
) -> None:
    app = make_app(session_idle_timeout_s=60, session_absolute_timeout_s=100)
    app.login("alice.agent")
    for _ in range(3):
        app.clock.advance(30)
        assert app.client.get("/auth/me").status_code == 200

    app.clock.advance(30)
    answer = app.client.get("/auth/me")

    assert answer.status_code == 401
    assert "absolute timeout" in answer.json()["error"]["message"]


def test_removal_from_the_role_group_ends_the_session_after_the_ttl(
    make_app: Callable[..., AuthApp], lab_dc_restored: DirectoryLabHandle
) -> None:
    app = make_app(login_role_ttl_s=1)
    assert app.login("hank.agent").status_code == 200
    _as_admin(lab_dc_restored, _group_dn("Fixline-Agents"), {"member": [(MODIFY_DELETE, [HANK])]})
    # Within the TTL the checked roles stand.
    assert app.client.get("/auth/me").status_code == 200

    app.clock.advance(2)
    answer = app.client.get("/auth/me")

    assert answer.status_code == 401
    [ended] = app.audit("auth.session_ended")
    assert ended["actor"] == "hank.agent"
    assert ended["data"]["reason"] == "roles revoked"
    # A new login is refused as well: no role left (answered as a wrong password).
    assert app.login("hank.agent").status_code == 401
    assert app.audit("auth.login_failed")[-1]["data"]["reason"].startswith("no_role")


def test_changed_roles_apply_after_the_ttl(
    make_app: Callable[..., AuthApp], lab_dc_restored: DirectoryLabHandle
) -> None:
    app = make_app(login_role_ttl_s=1)
    assert app.login("hank.agent").json()["customers"] == ["lab"]
    _as_admin(
        lab_dc_restored, _group_dn("Fixline-Senior-Agents"), {"member": [(MODIFY_ADD, [HANK])]}
    )

    app.clock.advance(2)
    me = app.client.get("/auth/me").json()

    assert me["roles"] == ["agent", "senior_agent"]
    assert app.audit("auth.roles_changed")[0]["data"]["roles"] == ["agent", "senior_agent"]


def test_a_disabled_account_loses_its_session(
    make_app: Callable[..., AuthApp], lab_dc_restored: DirectoryLabHandle
) -> None:
    app = make_app(login_role_ttl_s=1)
    assert app.login("hank.agent", LAB_USER_PASSWORD).status_code == 200
    _as_admin(lab_dc_restored, HANK, {"userAccountControl": [(MODIFY_REPLACE, ["514"])]})

    app.clock.advance(2)

    assert app.client.get("/auth/me").status_code == 401
    assert app.audit("auth.session_ended")[0]["data"]["reason"] == "account disabled or gone"
