"""Each Entra ID fix on the cloud-only customer: the state read back from the simulator, the
diff, check mode without a write, and the secrets handed over once and nowhere else."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from runner_api.entra import IdentityRouter
from runner_api.runs.status import RunStatus
from runner_api.vpn import vpn_actions
from tests.directory.conftest import VERIFIED
from tests.entra.conftest import SPECS, Run, cloud_user, graph_writes
from tests.plugins.graph_lab import GraphLab

MakeRun = Callable[..., Run]
SPECS_VPN = {spec.name: spec for spec in vpn_actions()}
ADELE = "adele.vance@fabrikam.example"


def test_password_reset_reveals_a_password_that_must_be_changed(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run = make_run("password_reset", username=ADELE, caller_verification=VERIFIED)
    outcome = router.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    adele = cloud_user(graph_lab, "adele.vance")
    (password,) = run.revealed
    assert adele.password == password and adele.force_change_password
    assert outcome.details["reveal_id"] == "reveal-1" and outcome.changed
    assert outcome.diff == {
        "before": {"password_set": False},
        "after": {"password_set": True, "must_change_password": True},
    }
    assert "must be changed at next sign-in" in outcome.summary
    assert run.routing() == ["routed to Entra ID: customer 'fabrikam' has its accounts in Entra ID"]
    assert outcome.affected is not None and outcome.affected.username == ADELE
    # The canary: nowhere but in the reveal (and the simulator's own record of it).
    assert password not in run.texts(outcome) and password not in caplog.text


def test_account_disable_and_enable(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab
) -> None:
    outcome = router.execute(
        make_run("account_disable", username="alex.wilber@fabrikam.example").ctx
    )
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.diff == {"before": {"enabled": True}, "after": {"enabled": False}}
    assert cloud_user(graph_lab, "alex.wilber").account_enabled is False
    again = router.execute(make_run("account_disable", username="alex.wilber@fabrikam.example").ctx)
    assert again.status is RunStatus.SUCCEEDED and not again.changed
    assert again.summary.startswith("no change")
    outcome = router.execute(
        make_run("account_enable", username="joni.sherman@fabrikam.example").ctx
    )
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert cloud_user(graph_lab, "joni.sherman").account_enabled is True


def test_group_add_and_remove_on_security_and_microsoft365_groups(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab
) -> None:
    vpn, falcon = graph_lab.group_id("VPN Users"), graph_lab.group_id("Project Falcon")
    adele = graph_lab.user_id("adele.vance")
    outcome = router.execute(
        make_run("group_add", username=ADELE, group="VPN Users", expires_at=None).ctx
    )
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.diff == {
        "before": {"member": False, "group": "VPN Users"},
        "after": {"member": True, "group": "VPN Users"},
    }
    assert adele in graph_lab.tenant().groups[vpn].members
    outcome = router.execute(make_run("group_add", username=ADELE, group="Project Falcon").ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert adele in graph_lab.tenant().groups[falcon].members
    outcome = router.execute(make_run("group_remove", username=ADELE, group="Sales Team").ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert adele not in graph_lab.tenant().groups[graph_lab.group_id("Sales Team")].members
    same = router.execute(make_run("group_remove", username=ADELE, group="Sales Team").ctx)
    assert same.status is RunStatus.SUCCEEDED and same.summary.startswith("no change")


def test_a_grant_with_an_end_schedules_its_revoke(
    router: IdentityRouter, make_run: MakeRun
) -> None:
    run = make_run(
        "group_add", username=ADELE, group="VPN Users", expires_at="2030-01-31T18:00:00Z"
    )
    outcome = router.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    (revoke,) = outcome.follow_ups
    assert revoke.action == "group_remove"
    assert revoke.params == {"username": ADELE, "group": "VPN Users"}


def test_session_revoke(router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab) -> None:
    graph_lab.simulator.clear_requests()
    outcome = router.execute(make_run("session_revoke", username=ADELE).ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    # The guardrails read the account's groups and roles once: one list holds both.
    reads = [r.path for r in graph_lab.simulator.requests if r.path.endswith("/transitiveMemberOf")]
    assert len(reads) == 1, reads
    assert "a few minutes" in outcome.summary
    assert cloud_user(graph_lab, "adele.vance").sign_in_sessions_valid_from is not None
    assert outcome.diff == {
        "before": {"sessions_revoked": False},
        "after": {"sessions_revoked": True},
    }


def test_mfa_reset_removes_every_method_but_the_password_the_default_last(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab
) -> None:
    megan = cloud_user(graph_lab, "megan.bowen")
    default = megan.default_method_id
    run = make_run(
        "mfa_reset", username="megan.bowen@fabrikam.example", caller_verification=VERIFIED
    )
    outcome = router.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert cloud_user(graph_lab, "megan.bowen").methods == []
    deletes = [path for method, path in graph_writes(graph_lab) if method == "DELETE"]
    assert len(deletes) == 5 and deletes[-1].endswith(f"/microsoftAuthenticatorMethods/{default}")
    assert outcome.diff is not None and outcome.diff["after"] == {"methods": []}
    assert sorted(outcome.diff["before"]["methods"]) == sorted(
        ["microsoftAuthenticator", "phone", "fido2", "softwareOath", "email"]
    )
    none_left = router.execute(
        make_run(
            "mfa_reset", username="megan.bowen@fabrikam.example", caller_verification=VERIFIED
        ).ctx
    )
    assert none_left.status is RunStatus.SUCCEEDED and not none_left.changed


def test_temporary_access_pass_is_revealed_once_and_nowhere_else(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run = make_run(
        "temporary_access_pass",
        username="diego.siciliani@fabrikam.example",
        caller_verification=VERIFIED,
        lifetime_minutes=30,
    )
    outcome = router.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    (issued,) = [
        m
        for m in cloud_user(graph_lab, "diego.siciliani").methods
        if m.kind == "temporaryAccessPass"
    ]
    (secret,) = run.revealed
    assert issued.details["temporaryAccessPass"] == secret
    assert issued.details["lifetimeInMinutes"] == 30 and issued.details["isUsableOnce"] is True
    assert outcome.details["reveal_id"] == "reveal-1" and outcome.details["lifetime_minutes"] == 30
    assert secret not in run.texts(outcome) and secret not in caplog.text


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("password_reset", {"caller_verification": VERIFIED}),
        ("account_disable", {}),
        ("group_add", {"group": "VPN Users"}),
        ("group_remove", {"group": "Sales Team"}),
        ("session_revoke", {}),
        ("mfa_reset", {"caller_verification": VERIFIED}),
        ("temporary_access_pass", {"caller_verification": VERIFIED}),
    ],
)
def test_check_mode_shows_the_diff_and_writes_nothing(
    router: IdentityRouter,
    make_run: MakeRun,
    graph_lab: GraphLab,
    action: str,
    params: dict[str, object],
) -> None:
    username = "megan.bowen@fabrikam.example" if action == "mfa_reset" else ADELE
    run = make_run(action, username=username, **params)
    run.ctx.check_mode = True
    outcome = router.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert outcome.summary.startswith("would ") and not outcome.changed
    assert outcome.diff is not None and outcome.diff["before"] != outcome.diff["after"]
    assert graph_writes(graph_lab) == [] and run.revealed == []


def test_every_graph_call_is_an_event_with_its_ids(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab
) -> None:
    run = make_run("account_disable", username=ADELE)
    assert router.execute(run.ctx).status is RunStatus.SUCCEEDED
    logged = graph_lab.simulator.requests
    calls = run.graph_calls()
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        (r.method, r.path, r.status) for r in logged
    ]
    assert [(c["request_id"], c["client_request_id"]) for c in calls] == [
        (r.request_id, r.client_request_id) for r in logged
    ]
    assert all(
        set(c) == {"method", "path", "status", "request_id", "client_request_id", "elapsed_ms"}
        for c in calls
    )


@pytest.mark.parametrize(
    ("username", "valid"),
    [
        ("jdoe", True),
        ("adele.vance@fabrikam.example", True),
        ("o'neil@lab.test", True),
        ("adele@localhost", False),
        ("a b@lab.test", False),
        ("*)(uid=*@lab.test", False),
        ("x" * 64 + "@" + "d" * 60 + ".example", False),
        ("twenty-one-characters", False),
    ],
)
def test_username_is_a_login_or_a_user_principal_name(username: str, valid: bool) -> None:
    model = SPECS["account_disable"].params_model
    try:
        model.model_validate({"username": username})
    except ValidationError:
        assert not valid
    else:
        assert valid
    # The VPN's certificate names keep to logins.
    if "@" in username:
        with pytest.raises(ValidationError):
            SPECS_VPN["vpn_revoke"].params_model.model_validate({"username": username})


@pytest.mark.parametrize("minutes", [9, 481])
def test_a_temporary_access_pass_stays_within_its_bounds(minutes: int) -> None:
    with pytest.raises(ValidationError, match="lifetime_minutes"):
        SPECS["temporary_access_pass"].params_model.model_validate(
            {"username": ADELE, "caller_verification": VERIFIED, "lifetime_minutes": minutes}
        )
