"""Fixline's login never locks an agent's directory account: the throttle stays below the
lab domain's lockout threshold (3, observation window 30 minutes), read from the DC, and a
bind that could be the locking one is never sent."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ldap3 import BASE, MODIFY_REPLACE

from lab.directory_data import LAB_USER_PASSWORD, LOCKOUT_THRESHOLD
from runner_api.errors import ConfigurationError
from tests.auth.conftest import AuthApp
from tests.plugins.directory_lab import DirectoryLabHandle

ALICE = "CN=Alice Agent,OU=Helpdesk Staff,DC=lab,DC=test"
DOMAIN = "DC=lab,DC=test"


def _state(lab: DirectoryLabHandle, dn: str) -> dict[str, str]:
    conn = lab.admin_connection("lab")
    try:
        conn.search(dn, "(objectClass=user)", BASE, attributes=["badPwdCount", "lockoutTime"])
        raw = conn.response[0]["raw_attributes"]
        return {name: (raw.get(name) or [b"0"])[0].decode() for name in raw}
    finally:
        conn.unbind()


def _not_locked(lab: DirectoryLabHandle) -> None:
    assert _state(lab, ALICE).get("lockoutTime", "0") == "0"
    # The password still opens the account: a locked one answers 49 (data 775).
    conn = lab.connection("lab", ALICE, LAB_USER_PASSWORD)
    assert conn.bind(), conn.result
    conn.unbind()


def test_the_throttle_stays_below_the_domains_lockout_threshold(
    make_app: Callable[..., AuthApp], lab_dc_restored: DirectoryLabHandle
) -> None:
    # The default limit (5) is above the lab's threshold (3): Fixline lowers it to 2.
    app = make_app(login_max_failures=5)
    answers = [app.login("alice.agent", f"Wrong-{n}").status_code for n in range(5)]

    assert answers == [401] * (LOCKOUT_THRESHOLD - 1) + [429] * (5 - LOCKOUT_THRESHOLD + 1)
    _not_locked(lab_dc_restored)


def test_the_429_lasts_the_directorys_observation_window(
    make_app: Callable[..., AuthApp], lab_dc_restored: DirectoryLabHandle
) -> None:
    app = make_app(login_max_failures=5, login_failure_window_s=60)
    for n in range(LOCKOUT_THRESHOLD - 1):
        app.login("alice.agent", f"Wrong-{n}")

    answer = app.login("alice.agent", "Wrong-again")

    assert answer.status_code == 429
    # The DC forgets failures 30 minutes after the last one; so must the limit.
    assert 1700 <= int(answer.headers["retry-after"]) <= 1800
    _not_locked(lab_dc_restored)


def test_failures_made_elsewhere_are_counted_by_the_dc_and_respected(
    make_app: Callable[..., AuthApp], lab_dc_restored: DirectoryLabHandle
) -> None:
    app = make_app(login_max_failures=5)
    # Two wrong passwords at a workstation: the next failure anywhere locks the account.
    for _ in range(LOCKOUT_THRESHOLD - 1):
        conn = lab_dc_restored.connection("lab", ALICE, "Wrong-at-the-desk")
        assert not conn.bind()
        conn.unbind()
    binds = app.directory.binds

    answer = app.login("alice.agent", "Wrong-in-fixline")

    assert answer.status_code == 429
    # Only the lookup account bound: alice's bind, which would have locked her, never went.
    assert app.directory.binds == binds + 1
    [event] = app.audit("auth.login_failed")
    assert "lockout" in event["data"]["reason"]
    _not_locked(lab_dc_restored)


def test_a_threshold_of_one_stops_start_up(
    make_app: Callable[..., AuthApp], lab_dc_restored: DirectoryLabHandle
) -> None:
    admin = lab_dc_restored.admin_connection("lab")
    try:
        assert admin.modify(DOMAIN, {"lockoutThreshold": [(MODIFY_REPLACE, ["1"])]})
    finally:
        admin.unbind()

    with pytest.raises(ConfigurationError) as stopped:
        make_app()

    assert "lockoutThreshold" in stopped.value.message
    assert "every mistyped password" in stopped.value.message


def test_an_unreadable_fine_grained_policy_is_not_guessed_at(
    make_app: Callable[..., AuthApp], lab_dc_restored: DirectoryLabHandle
) -> None:
    # A policy for alice alone, in a container Fixline's lookup account cannot read.
    pso = f"CN=Agents-PSO,CN=Password Settings Container,CN=System,{DOMAIN}"
    admin = lab_dc_restored.admin_connection("lab")
    try:
        added = admin.add(
            pso,
            "msDS-PasswordSettings",
            {
                "msDS-PasswordSettingsPrecedence": "10",
                "msDS-PasswordReversibleEncryptionEnabled": "FALSE",
                "msDS-PasswordHistoryLength": "0",
                "msDS-PasswordComplexityEnabled": "FALSE",
                "msDS-MinimumPasswordLength": "0",
                "msDS-MinimumPasswordAge": "0",
                "msDS-MaximumPasswordAge": "-9223372036854775808",
                "msDS-LockoutThreshold": "2",
                "msDS-LockoutObservationWindow": "-36000000000",
                "msDS-LockoutDuration": "-36000000000",
                "msDS-PSOAppliesTo": ALICE,
            },
        )
        assert added, admin.result
    finally:
        admin.unbind()
    app = make_app(login_max_failures=5)
    binds = app.directory.binds

    answer = app.login("alice.agent", "Wrong-1")

    # Its threshold is unknown: no bind of alice is sent, and the answer says what to fix.
    assert answer.status_code == 503
    assert "Agents-PSO" in answer.json()["error"]["message"]
    assert app.directory.binds == binds + 1
    _not_locked(lab_dc_restored)
    # Others, whom no such policy governs, still sign in.
    assert app.login("carol.admin").status_code == 200
