"""Graph throttling, a stalled Graph and lost answers, as a run ends them: within the run's time,
with a reason an agent can act on, and a lost write read back where a read can tell."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from runner_api.customers.models import Customer
from runner_api.entra import IdentityRouter
from runner_api.graph import HttpGraph
from runner_api.runs.status import RunStatus
from tests.directory.conftest import VERIFIED
from tests.entra.conftest import Run, cloud_user
from tests.plugins.graph_lab import GraphLab

MakeRun = Callable[..., Run]
ALEX = "alex.wilber@fabrikam.example"


def _quick(customer: Customer, timeout_s: float) -> Customer:
    assert customer.entra is not None
    return replace(customer, entra=replace(customer.entra, timeout_s=timeout_s))


def test_a_short_retry_after_is_waited_out(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab
) -> None:
    graph_lab.simulator.throttle(1, retry_after_s=1)
    started = time.monotonic()
    run = make_run("account_disable", username=ALEX)
    outcome = router.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    assert time.monotonic() - started >= 1.0
    assert 429 in [call["status"] for call in run.graph_calls()]
    assert cloud_user(graph_lab, "alex.wilber").account_enabled is False


def test_a_long_retry_after_ends_the_run_at_once(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab
) -> None:
    graph_lab.simulator.throttle(1, retry_after_s=120)
    started = time.monotonic()
    outcome = router.execute(make_run("account_disable", username=ALEX).ctx)
    assert time.monotonic() - started < 2.0
    assert outcome.status is RunStatus.FAILED
    assert outcome.error is not None
    assert outcome.error.startswith("throttled by Graph; try again after 120 s")
    assert cloud_user(graph_lab, "alex.wilber").account_enabled is True


def test_a_stalled_graph_fails_the_run_as_unreachable_in_bounded_time(
    router: IdentityRouter,
    make_run: MakeRun,
    graph_lab: GraphLab,
    fabrikam: Customer,
    graph: HttpGraph,
) -> None:
    quick = _quick(fabrikam, timeout_s=0.5)
    graph.find_user(quick, ALEX)  # the token first: the stall is Graph's, not sign-in's
    graph_lab.simulator.stall(5)
    started = time.monotonic()
    run = make_run("session_revoke", quick, username=ALEX)
    outcome = router.execute(run.ctx)
    assert time.monotonic() - started < 2.5
    assert outcome.status is RunStatus.FAILED
    assert outcome.error is not None and outcome.error.startswith("Graph unreachable: ")
    assert cloud_user(graph_lab, "alex.wilber").sign_in_sessions_valid_from is None


def test_a_lost_answer_is_read_back_when_a_read_can_tell(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab
) -> None:
    graph_lab.simulator.lose_answer()
    run = make_run("account_disable", username=ALEX)
    outcome = router.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert "reconcile" in [event.kind for event in run.events]
    assert cloud_user(graph_lab, "alex.wilber").account_enabled is False


def test_a_lost_reset_or_pass_ends_outcome_unknown_and_reveals_nothing(
    router: IdentityRouter, make_run: MakeRun, graph_lab: GraphLab
) -> None:
    texts = []
    for action in ("password_reset", "temporary_access_pass", "session_revoke"):
        graph_lab.simulator.lose_answer()
        verified = {} if action == "session_revoke" else {"caller_verification": VERIFIED}
        run = make_run(action, username=ALEX, **verified)
        outcome = router.execute(run.ctx)
        texts.append(run.texts(outcome))
        assert outcome.status is RunStatus.FAILED, action
        assert outcome.details.get("outcome_unknown") is True, action
        assert outcome.error is not None and outcome.error.startswith("outcome unknown: ")
        assert run.revealed == []
    # Applied, though the answers were lost: what a read back could not tell.
    alex = cloud_user(graph_lab, "alex.wilber")
    (issued,) = [m for m in alex.methods if m.kind == "temporaryAccessPass"]
    assert alex.password is not None and alex.password not in "".join(texts)
    assert str(issued.details["temporaryAccessPass"]) not in "".join(texts)
    assert alex.sign_in_sessions_valid_from is not None
