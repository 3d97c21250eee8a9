"""EntraUsers, the picker's Entra ID side, on HttpGraph and the Graph simulator (not
Microsoft): one memberships read per account found, in parallel, all within entra.timeout_s."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runner_api.customers.models import Customer
from runner_api.entra.picker import EntraUsers
from runner_api.graph import Budget, HttpGraph
from runner_api.graph.errors import GraphUnavailableError
from runner_api.graph.gateway import UNBOUNDED, Memberships
from runner_api.secrets.credentials import FileCredentialSource
from tests.graph.conftest import credential
from tests.plugins.graph_lab import GraphLab


class SlowMemberships(HttpGraph):
    """HttpGraph whose memberships reads find Graph stalled (the search does not)."""

    lab: GraphLab
    started: list[float]

    def memberships(
        self, customer: Customer, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> Memberships:
        self.started.append(time.monotonic())
        self.lab.simulator.stall(30)
        return super().memberships(customer, user_id, budget=budget)


def test_one_read_per_account_found(
    graph: HttpGraph, fabrikam: Customer, graph_lab: GraphLab
) -> None:
    graph_lab.simulator.clear_requests()
    accounts = EntraUsers(graph).search(fabrikam, "a", 10)
    assert [a.upn.split("@")[0] for a in accounts] == ["adele.vance", "alex.wilber", "grady.archie"]
    reads = [r.path for r in graph_lab.simulator.requests if r.path.endswith("/transitiveMemberOf")]
    assert len(reads) == 3


def test_stalled_memberships_end_together_at_the_timeout(
    graph_lab: GraphLab, fabrikam: Customer, tmp_path: Path
) -> None:
    files = FileCredentialSource(tmp_path / "credentials")
    files.store_graph_credential("fabrikam", credential(graph_lab, "fabrikam"))
    slow = SlowMemberships(files)
    slow.lab, slow.started = graph_lab, []
    timeout = fabrikam.entra.timeout_s if fabrikam.entra else 0
    began = time.monotonic()
    try:
        with pytest.raises(GraphUnavailableError, match="no answer in time"):
            EntraUsers(slow).search(fabrikam, "a", 10)
    finally:
        graph_lab.simulator.faults.released.set()
        slow.close()
    # Three reads of up to timeout_s each, at once: about one timeout, not three.
    assert time.monotonic() - began < 2 * timeout, time.monotonic() - began
    assert len(slow.started) == 3 and max(slow.started) - min(slow.started) < timeout / 2
