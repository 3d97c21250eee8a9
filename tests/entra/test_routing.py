"""The hybrid customer: each run goes where its account's truth lives, and says so. The AD
half is the fast tier's FakeDirectory, seeded with the lab users the `lab` tenant copies."""

from __future__ import annotations

from dataclasses import replace

from lab.graph.state import USER_ADMINISTRATOR, RoleAssignment
from runner_api.customers.models import Identity
from runner_api.runs.status import RunStatus
from tests.directory.conftest import VERIFIED
from tests.entra.conftest import Hybrid, cloud_user, graph_writes

TO_AD = "routed to Active Directory: the account is synced from on-premises (onPremisesSyncEnabled)"
ALSO_SYNCED = "also for an account synced from on-premises"
CLOUD_ONLY = "routed to Entra ID: the account is cloud-only (not synced from on-premises)"


def test_a_synced_accounts_password_is_reset_in_ad(hybrid_runs: Hybrid) -> None:
    h = hybrid_runs
    run, outcome = h.run(
        "password_reset", username="henry.moreau@lab.test", caller_verification=VERIFIED
    )
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    (routing,) = run.routing()
    assert routing.startswith(TO_AD) and routing.endswith("its sAMAccountName is henry.moreau")
    henry = h.directory.dn_of("lab", "henry.moreau").lower()
    assert [write.dn.lower() for write in h.directory.writes] == [henry]
    assert "unicodePwd" in h.directory.writes[0].attributes
    assert graph_writes(h.lab) == []
    (password,) = run.revealed
    assert password not in run.texts(outcome)
    assert cloud_user(h.lab, "henry.moreau", "lab").password is None


def test_ad_actions_run_in_ad_after_entra_ids_guardrails(hybrid_runs: Hybrid) -> None:
    h = hybrid_runs
    run, outcome = h.run("account_enable", username="daniel.okafor")
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert run.routing() == [
        "routed to Active Directory: daniel.okafor is a sAMAccountName: an on-premises account"
    ]
    # Its synced copy was read and vetted in Entra ID: reads only.
    assert "daniel.okafor@lab.test, synced to Entra ID, is not protected there" in [
        e.message for e in run.events if e.kind == "guardrails"
    ]
    run, outcome = h.run("group_add", username="ben.carter@lab.test", group="VPN-Users")
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert run.routing()[0].startswith(TO_AD)
    assert "VPN-Users" in h.directory.groups_of("lab", "ben.carter")
    _, outcome = h.run("account_unlock", username="ben.carter@lab.test")
    assert outcome.status is RunStatus.SUCCEEDED and outcome.summary.startswith("no change")
    assert graph_writes(h.lab) == []


def test_a_synced_account_with_a_cloud_role_is_refused_in_ad_too(hybrid_runs: Hybrid) -> None:
    # AD does not know of a role given in Entra ID: the run must not reset such an admin's
    # password in AD (where the password of a synced account is set).
    h = hybrid_runs
    tenant = h.lab.tenant("lab")
    olivia = h.lab.user_id("olivia.brown", "lab")
    tenant.role_assignments.append(RoleAssignment("test-role", olivia, USER_ADMINISTRATOR))
    tenant.directory_roles.setdefault(USER_ADMINISTRATOR, "test-directory-role")
    for name in ("olivia.brown", "olivia.brown@lab.test"):
        _, outcome = h.run("password_reset", username=name, caller_verification=VERIFIED)
        assert outcome.status is RunStatus.REFUSED, outcome.error
        assert "holds the directory role User Administrator" in str(outcome.error)
        _, outcome = h.run("account_disable", username=name)
        assert outcome.status is RunStatus.REFUSED, outcome.error
    assert h.directory.writes == [] and graph_writes(h.lab) == []


def test_sessions_and_mfa_of_a_synced_account_are_fixed_in_entra(hybrid_runs: Hybrid) -> None:
    h = hybrid_runs
    run = h.fixed("session_revoke", username="ben.carter")
    assert run.routing() == [f"routed to Entra ID: session_revoke acts on Entra ID, {ALSO_SYNCED}"]
    assert cloud_user(h.lab, "ben.carter", "lab").sign_in_sessions_valid_from is not None
    h.fixed("mfa_reset", username="henry.moreau@lab.test", caller_verification=VERIFIED)
    assert cloud_user(h.lab, "henry.moreau", "lab").methods == []
    assert h.directory.writes == []


def test_a_cloud_only_account_of_a_hybrid_customer_is_fixed_in_entra(hybrid_runs: Hybrid) -> None:
    h = hybrid_runs
    assert h.fixed("account_disable", username="zoe.martin@lab.test").routing() == [CLOUD_ONLY]
    assert cloud_user(h.lab, "zoe.martin", "lab").account_enabled is False
    _, unlock = h.run("account_unlock", username="zoe.martin@lab.test")
    assert unlock.status is RunStatus.REFUSED and unlock.details["refused_by"] == "not_supported"
    assert h.directory.writes == []


def test_an_account_in_neither_is_refused_and_the_guardrails_still_hold(
    hybrid_runs: Hybrid,
) -> None:
    h = hybrid_runs
    _, nobody = h.run("account_disable", username="nobody@lab.test")
    assert nobody.status is RunStatus.REFUSED and nobody.error is not None
    assert "give its sAMAccountName" in nobody.error
    # Cloud-only Global Administrator: Entra's guardrail.
    _, admin = h.run("session_revoke", username="breakglass@lab.test")
    assert admin.status is RunStatus.REFUSED and admin.details["refused_by"] == "protected_target"
    # Synced and deny-listed in AD: AD's guardrail.
    _, denied = h.run("account_disable", username="walter.king@lab.test")
    assert denied.status is RunStatus.REFUSED and denied.error is not None
    assert "deny list" in denied.error
    assert h.directory.writes == [] and graph_writes(h.lab) == []


def test_an_ad_customer_is_routed_as_before(hybrid_runs: Hybrid) -> None:
    ad_only = replace(hybrid_runs.customer, entra=None, identity=Identity.AD)
    h = replace(hybrid_runs, customer=ad_only)
    run, outcome = h.run("account_disable", username="karen.mills")
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert run.routing() == [] and h.lab.simulator.requests == []
    # A UPN names no login: the AD customer finds no account and changes nothing.
    _, upn = h.run("account_disable", username="karen.mills@lab.test")
    assert upn.status is RunStatus.FAILED and upn.error is not None and "no user" in upn.error
    assert len(h.directory.writes) == 1
