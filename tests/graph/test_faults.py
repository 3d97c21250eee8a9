"""Throttling, stalls and lost answers: honoured within the budget, ended with a clear reason."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr

from runner_api.customers.models import Customer
from runner_api.graph import HttpGraph
from runner_api.graph.errors import (
    GraphOutcomeUnknownError,
    GraphThrottledError,
    GraphUnavailableError,
)
from tests.graph.conftest import Calls, customer
from tests.plugins.graph_lab import GraphLab


def test_every_call_carries_and_records_its_ids(
    gateway: HttpGraph, fabrikam: Customer, graph_lab: GraphLab, calls: Calls
) -> None:
    gateway.find_user(fabrikam, "adele.vance@fabrikam.example", budget=calls.budget())
    logged = graph_lab.simulator.requests
    assert [(c.method, c.path, c.status) for c in calls.seen] == [
        (r.method, r.path, r.status) for r in logged
    ]
    assert [(c.client_request_id, c.request_id) for c in calls.seen] == [
        (r.client_request_id, r.request_id) for r in logged
    ]
    assert len({c.client_request_id for c in calls.seen}) == len(calls.seen) == 3


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(
    gateway: HttpGraph, fabrikam: Customer, graph_lab: GraphLab, calls: Calls, status: int
) -> None:
    gateway.find_user(fabrikam, "adele.vance@fabrikam.example")  # the token, first
    graph_lab.simulator.clear_requests()
    graph_lab.simulator.throttle(1, retry_after_s=1, status=status)
    started = time.monotonic()
    gateway.set_enabled(fabrikam, graph_lab.user_id("alex.wilber"), False, budget=calls.budget())
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in graph_lab.simulator.requests] == [status, 204]
    assert [c.status for c in calls.seen] == [status, 204]
    assert graph_lab.tenant().users[graph_lab.user_id("alex.wilber")].account_enabled is False


def test_a_wait_beyond_the_budget_is_not_waited_out(
    gateway: HttpGraph, fabrikam: Customer, graph_lab: GraphLab, calls: Calls
) -> None:
    alex = graph_lab.user_id("alex.wilber")
    graph_lab.simulator.throttle(1, retry_after_s=120)
    started = time.monotonic()
    with pytest.raises(GraphThrottledError, match="wait 120 s, more than max_retry_wait_s 5 s"):
        gateway.read_user(fabrikam, alex)
    graph_lab.simulator.throttle(1, retry_after_s=3)
    deadline = time.monotonic() + 1.5
    with pytest.raises(GraphThrottledError, match="more than the run's time budget has left"):
        gateway.set_enabled(fabrikam, alex, False, budget=calls.budget(deadline))
    assert time.monotonic() - started < 1.0
    assert graph_lab.tenant().users[alex].account_enabled is True


def test_a_stalled_graph_ends_within_the_timeout(
    gateway: HttpGraph, graph_lab: GraphLab, calls: Calls
) -> None:
    fabrikam = customer(graph_lab, "fabrikam", timeout_s=0.5)
    gateway.find_user(fabrikam, "adele.vance@fabrikam.example")
    graph_lab.simulator.stall(5)
    started = time.monotonic()
    with pytest.raises(GraphUnavailableError, match="Graph unavailable: no answer in time"):
        gateway.find_user(fabrikam, "adele.vance@fabrikam.example", budget=calls.budget())
    assert time.monotonic() - started < 1.5
    assert calls.seen[-1].status is None and calls.seen[-1].request_id is None
    # The run's deadline bounds a request before timeout_s does.
    graph_lab.simulator.stall(5)
    started = time.monotonic()
    with pytest.raises(GraphUnavailableError):
        gateway.read_user(customer(graph_lab, "fabrikam"), "adele.vance@fabrikam.example",
                          budget=calls.budget(time.monotonic() + 0.3))  # fmt: skip
    assert time.monotonic() - started < 1.0
    graph_lab.simulator.clear_faults()
    with pytest.raises(GraphUnavailableError, match="time budget is spent"):
        gateway.read_user(fabrikam, "adele.vance@fabrikam.example", budget=calls.budget(0.0))


def test_a_lost_answer_after_a_write_is_outcome_unknown(
    gateway: HttpGraph, fabrikam: Customer, graph_lab: GraphLab
) -> None:
    alex = graph_lab.user_id("alex.wilber")
    gateway.read_user(fabrikam, alex)
    graph_lab.simulator.lose_answer()
    with pytest.raises(GraphOutcomeUnknownError, match="may or may not have been applied"):
        gateway.set_password(fabrikam, alex, SecretStr("Kettle-Orbit-42-Harbor"), True)
    # The simulator applied it, and only one request went out: no retry of a write.
    assert graph_lab.tenant().users[alex].password == "Kettle-Orbit-42-Harbor"
    assert [r.answered for r in graph_lab.simulator.requests if r.method == "PATCH"] == [False]
    # A read is not a write: a later read works on a fresh connection.
    assert gateway.read_user(fabrikam, alex).id == alex


def test_an_unreachable_graph_is_a_clear_failure(gateway: HttpGraph, graph_lab: GraphLab) -> None:
    closed = customer(graph_lab, "fabrikam", authority_host="https://127.0.0.1:9")
    with pytest.raises(GraphUnavailableError, match="Graph unavailable: cannot connect"):
        gateway.find_user(closed, "adele.vance@fabrikam.example")
