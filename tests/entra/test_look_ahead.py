"""A run's account read while the run is recorded (look_ahead), and read once per run: the
run takes the early read when fresh and records its Graph calls as its own events; a stale
or dropped read is made again; an early failure fails the run with its calls recorded.
Against the Graph simulator (not Microsoft) through the real HttpGraph and msal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runner_api.entra import IdentityRouter
from runner_api.runs import look_ahead
from runner_api.runs.status import RunStatus
from tests.entra.conftest import Hybrid, Run, cloud_user
from tests.plugins.fakes import wait_until
from tests.plugins.graph_lab import GraphLab

ADELE = "adele.vance@fabrikam.example"
MEMBERSHIPS = "/transitiveMemberOf"


def graph_reads(lab: GraphLab) -> list[str]:
    """The paths of the Graph reads (not the sign-in) the simulator answered."""
    return [
        r.path
        for r in lab.simulator.requests
        if r.method == "GET" and "/oauth2/" not in r.path and ".well-known" not in r.path
    ]


def ahead(router: IdentityRouter, run: Run) -> None:
    """What the worker pool does for a run it takes the moment its record commits."""
    ctx = run.ctx
    router.look_ahead(ctx.run_id, ctx.customer, ctx.action.name, ctx.params)


@pytest.fixture
def warm(router: IdentityRouter, make_run: Callable[..., Run], graph_lab: GraphLab) -> None:
    """One run first, so msal's token and discovery are not among the counted requests."""
    assert router.execute(make_run("session_revoke", username=ADELE).ctx).changed
    graph_lab.simulator.clear_requests()


@pytest.mark.usefixtures("warm")
def test_a_run_takes_its_read_made_ahead_and_records_those_calls(
    router: IdentityRouter, make_run: Callable[..., Run], graph_lab: GraphLab
) -> None:
    run = make_run("session_revoke", username=ADELE)
    ahead(router, run)
    # Both reads are made before the run starts: the account, then its memberships.
    wait_until(lambda: len(graph_reads(graph_lab)) == 2, what="the reads ahead")
    outcome = router.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    reads = graph_reads(graph_lab)
    assert len(reads) == 2 and reads[1].endswith(MEMBERSHIPS), reads
    kinds = [event.kind for event in run.events]
    assert kinds.index("lookup") < kinds.index("graph")
    recorded = [dict(event.data) for event in run.events if event.kind == "graph"]
    answered = {r.request_id for r in graph_lab.simulator.requests}
    assert [call["method"] for call in recorded] == ["GET", "GET", "POST"]
    assert all(call["request_id"] in answered for call in recorded), recorded


@pytest.mark.usefixtures("warm")
def test_a_stale_or_dropped_read_is_made_again(
    router: IdentityRouter,
    make_run: Callable[..., Run],
    graph_lab: GraphLab,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dropped = make_run("session_revoke", username=ADELE)
    ahead(router, dropped)
    wait_until(lambda: len(graph_reads(graph_lab)) == 2, what="the reads ahead")
    router.drop_ahead(dropped.ctx.run_id)  # the run had to queue after all
    assert router.execute(dropped.ctx).changed
    assert len(graph_reads(graph_lab)) == 4
    monkeypatch.setattr(look_ahead, "AHEAD_FRESH_S", 0.0)
    stale = make_run("session_revoke", username=ADELE)
    ahead(router, stale)
    wait_until(lambda: len(graph_reads(graph_lab)) == 6, what="the reads ahead")
    assert router.execute(stale.ctx).changed
    assert len(graph_reads(graph_lab)) == 8
    assert len([e for e in stale.events if e.kind == "graph"]) == 3  # its own, not the stale


@pytest.mark.usefixtures("warm")
def test_a_failed_read_ahead_fails_its_run_with_the_call_recorded(
    router: IdentityRouter, make_run: Callable[..., Run], graph_lab: GraphLab
) -> None:
    graph_lab.simulator.deny("User.Read.All")
    run = make_run("account_disable", username=ADELE)
    ahead(router, run)
    outcome = router.execute(run.ctx)
    assert outcome.status is RunStatus.FAILED
    assert "Insufficient privileges" in str(outcome.error), outcome.error
    (call,) = [dict(event.data) for event in run.events if event.kind == "graph"]
    assert call["status"] == 403 and call["request_id"] == outcome.details["graph_request_id"]
    assert cloud_user(graph_lab, "adele.vance").account_enabled is True


@pytest.mark.usefixtures("warm")
def test_guardrails_hold_on_a_read_made_ahead(
    router: IdentityRouter, make_run: Callable[..., Run], graph_lab: GraphLab
) -> None:
    for name, why in [
        ("patti.fernandez", "holds the directory role Global Administrator"),
        ("lee.gu", "holds the directory role User Administrator"),
        ("nobody.here", "no account"),
    ]:
        run = make_run("session_revoke", username=f"{name}@fabrikam.example")
        ahead(router, run)
        outcome = router.execute(run.ctx)
        assert outcome.status is RunStatus.REFUSED and why in str(outcome.error), outcome.error
    assert not [r for r in graph_lab.simulator.requests if r.method == "POST"]


def test_a_hybrid_run_reads_its_account_once(hybrid_runs: Hybrid) -> None:
    h = hybrid_runs
    h.fixed("session_revoke", username="ben.carter@lab.test")  # warm: token, discovery
    h.lab.simulator.clear_requests()
    # The router finds the account to route it; the executor takes that, not a second read.
    h.fixed("session_revoke", username="ben.carter@lab.test")
    reads = graph_reads(h.lab)
    assert len(reads) == 2 and reads[1].endswith(MEMBERSHIPS), reads


def test_hybrid_reads_ahead_what_each_system_needs(hybrid_runs: Hybrid) -> None:
    h = hybrid_runs
    h.fixed("session_revoke", username="ben.carter@lab.test")  # warm: token, discovery
    h.lab.simulator.clear_requests()

    def started(action: str, **params: Any) -> Run:
        run = h.make_run(action, h.customer, **params)
        h.router.look_ahead(run.ctx.run_id, h.customer, action, run.ctx.params)
        return run

    # A synced account by its UPN, for AD: the account and its memberships (Entra ID's
    # guardrails hold for it too), each once.
    run = started("account_enable", username="daniel.okafor@lab.test")
    wait_until(lambda: len(graph_reads(h.lab)) == 2, what="the reads ahead")
    outcome = h.router.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert len(graph_reads(h.lab)) == 2
    assert [e.kind for e in run.events].count("graph") == 2
    # A sAMAccountName for AD: its synced copy and memberships, read ahead, each once.
    h.lab.simulator.clear_requests()
    run = started("account_disable", username="daniel.okafor")
    assert h.router.execute(run.ctx).changed
    reads = graph_reads(h.lab)
    assert len(reads) == 2 and reads[1].endswith(MEMBERSHIPS), reads
    # A cloud-only account: the account and its memberships, each once.
    h.lab.simulator.clear_requests()
    run = started("session_revoke", username="zoe.martin@lab.test")
    outcome = h.router.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    reads = graph_reads(h.lab)
    assert len(reads) == 2 and reads[1].endswith(MEMBERSHIPS), reads
