"""Refusals before any write: protected accounts, the tenant's domains, groups Graph cannot or
may not change, and what Entra ID has no fix for. Each names its reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from runner_api.customers.models import Customer, Identity
from runner_api.entra import IdentityRouter
from runner_api.runs.status import RunStatus
from tests.directory.conftest import VERIFIED
from tests.entra.conftest import DENIED, Run, graph_writes
from tests.plugins.graph_lab import GraphLab

MakeRun = Callable[..., Run]


@pytest.mark.parametrize(
    ("username", "rule", "reason"),
    [
        ("patti.fernandez@fabrikam.example", "protected_target", "holds the directory role Global"),
        ("lee.gu@fabrikam.example", "protected_target", "User Administrator (directly or through"),
        (DENIED, "protected_target", "deny list"),
        ("adele.vance@contoso.com", "out_of_scope", "outside the accepted domains"),
        ("nobody@fabrikam.example", "no_cloud_account", "no account 'nobody@fabrikam.example'"),
    ],
)
@pytest.mark.parametrize("action", ["password_reset", "account_disable", "temporary_access_pass"])
def test_protected_and_unknown_accounts_are_refused_before_any_write(
    router: IdentityRouter,
    make_run: MakeRun,
    graph_lab: GraphLab,
    username: str,
    rule: str,
    reason: str,
    action: str,
) -> None:
    verified = {} if action == "account_disable" else {"caller_verification": VERIFIED}
    run = make_run(action, username=username, **verified)
    outcome = router.execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED, outcome.error
    assert outcome.details["refused_by"] == rule
    assert outcome.error is not None and reason in outcome.error
    assert "nothing was changed" in outcome.error
    assert graph_writes(graph_lab) == [] and run.revealed == []


def test_a_member_of_a_role_assignable_group_is_refused_without_a_role(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab
) -> None:
    tenant = graph_lab.tenant()
    admins = graph_lab.group_id("IT Admins")
    # The group's role removed: its members hold none, yet one may be given at any time.
    with graph_lab.simulator.state.lock:
        tenant.role_assignments = [a for a in tenant.role_assignments if a.principal_id != admins]
    outcome = router.execute(
        make_run("account_disable", username="lynne.robbins@fabrikam.example").ctx
    )
    assert outcome.status is RunStatus.REFUSED
    assert outcome.error is not None and "role-assignable group IT Admins" in outcome.error
    assert graph_writes(graph_lab) == []


def test_a_member_of_a_protected_group_is_refused(
    router: IdentityRouter, make_run: MakeRun, fabrikam: Customer, graph_lab: GraphLab
) -> None:
    assert fabrikam.entra is not None
    guarded = replace(fabrikam, entra=replace(fabrikam.entra, protected_groups=("sales team",)))
    outcome = router.execute(
        make_run("session_revoke", guarded, username="alex.wilber@fabrikam.example").ctx
    )
    assert outcome.status is RunStatus.REFUSED
    assert outcome.error is not None and "protected group Sales Team" in outcome.error
    assert graph_writes(graph_lab) == []


@pytest.mark.parametrize(
    ("group", "reason"),
    [
        ("Finance Mail-Enabled", "a mail-enabled security group: Exchange Online owns its members"),
        ("All Staff", "a distribution list: Exchange Online owns its members"),
        ("IT Admins", "role-assignable"),
        ("Marketing", "not on the 'groups' allow-list"),
    ],
)
@pytest.mark.parametrize("action", ["group_add", "group_remove"])
def test_groups_graph_cannot_or_may_not_change_are_refused(
    router: IdentityRouter,
    make_run: MakeRun,
    graph_lab: GraphLab,
    group: str,
    reason: str,
    action: str,
) -> None:
    outcome = router.execute(
        make_run(action, username="grady.archie@fabrikam.example", group=group).ctx
    )
    assert outcome.status is RunStatus.REFUSED
    assert outcome.details["refused_by"] == "group_not_allowed"
    assert outcome.error is not None and reason in outcome.error
    assert graph_writes(graph_lab) == []


def test_unlock_of_a_cloud_account_is_refused_with_the_reason(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab
) -> None:
    outcome = router.execute(
        make_run("account_unlock", username="adele.vance@fabrikam.example").ctx
    )
    assert outcome.status is RunStatus.REFUSED
    assert outcome.error is not None
    assert "smart lockout ends by itself" in outcome.error and "self-service" in outcome.error
    assert graph_writes(graph_lab) == []


def test_a_synced_account_of_an_entra_customer_is_changed_in_ad_not_here(
    router: IdentityRouter, make_run: MakeRun, hybrid: Customer, graph_lab: GraphLab
) -> None:
    # A customer that says `identity: entra` though its tenant holds synced accounts.
    cloud = replace(hybrid, identity=Identity.ENTRA)
    run = make_run("account_disable", cloud, username="ben.carter@lab.test")
    outcome = router.execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED and outcome.details["refused_by"] == "synced_account"
    assert outcome.error is not None and "onPremisesSyncEnabled" in outcome.error
    assert graph_writes(graph_lab) == []


def test_entra_only_actions_are_refused_for_an_ad_customer(
    router: IdentityRouter, make_run: MakeRun, hybrid: Customer, graph_lab: GraphLab
) -> None:
    ad_only = replace(hybrid, entra=None, identity=Identity.AD)
    for action in ("session_revoke", "mfa_reset", "temporary_access_pass"):
        run = make_run(action, ad_only, username="ben.carter")
        outcome = router.execute(run.ctx)
        assert outcome.status is RunStatus.REFUSED
        assert outcome.error is not None and "has Active Directory only" in outcome.error
    assert graph_lab.simulator.requests == []


def test_a_vip_is_refused_without_approval(router: IdentityRouter, make_run: MakeRun) -> None:
    run = make_run(
        "temporary_access_pass",
        username="nestor.wilke@fabrikam.example",
        caller_verification=VERIFIED,
    )
    outcome = router.execute(run.ctx)
    assert (
        outcome.status is RunStatus.REFUSED and outcome.details["refused_by"] == "vip_not_approved"
    )
    approved = make_run(
        "temporary_access_pass",
        username="nestor.wilke@fabrikam.example",
        caller_verification=VERIFIED,
    )
    approved.ctx.approved_by = "second.agent"
    assert router.execute(approved.ctx).status is RunStatus.SUCCEEDED
