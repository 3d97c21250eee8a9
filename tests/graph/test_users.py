"""Users through HttpGraph and the simulator: read, search, password, sign-in, sessions."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from runner_api.customers.models import Customer
from runner_api.graph import HttpGraph
from runner_api.graph.errors import GraphNotFoundError, GraphRefusedError
from tests.graph.conftest import Calls, customer
from tests.plugins.graph_lab import GraphLab

PASSWORD = SecretStr("Kettle-Orbit-42-Harbor")


def test_find_read_and_search(gateway: HttpGraph, fabrikam: Customer, graph_lab: GraphLab) -> None:
    adele = gateway.find_user(fabrikam, "Adele.Vance@fabrikam.example")
    assert adele is not None and adele.id == graph_lab.user_id("adele.vance")
    assert (adele.display_name, adele.account_enabled, adele.on_premises_sync_enabled) == (
        "Adele Vance", True, False,
    )  # fmt: skip
    assert gateway.read_user(fabrikam, adele.id) == adele
    assert gateway.find_user(fabrikam, "nobody@fabrikam.example") is None
    assert gateway.find_user(fabrikam, "..") is None
    with pytest.raises(GraphNotFoundError, match=r"no user 'nobody@fabrikam\.example'"):
        gateway.read_user(fabrikam, "nobody@fabrikam.example")
    found = gateway.search_users(fabrikam, 'al"e', 10)
    assert [u.upn for u in found] == ["alex.wilber@fabrikam.example"]
    assert len(gateway.search_users(fabrikam, "fabrikam", 3)) == 3


def test_search_pages_through_next_links(
    gateway: HttpGraph, fabrikam: Customer, graph_lab: GraphLab, calls: Calls
) -> None:
    everyone = gateway.search_users(fabrikam, "fabrikam", 2, budget=calls.budget())
    assert len(everyone) == 2
    many = gateway.search_users(fabrikam, "fabrikam", 999)
    assert len(many) == len(graph_lab.tenant().users)
    # $top=999 is one page in the simulator: look at paging with a small $top instead.
    graph_lab.simulator.clear_requests()
    small = list(gateway.items(fabrikam, "/users", "list", calls.budget(), {"$top": "4"}))
    assert len(small) == len(graph_lab.tenant().users)
    pages = [r for r in graph_lab.simulator.requests if r.path.endswith("/users")]
    assert len(pages) == -(-len(small) // 4)
    assert all("skiptoken" in r.query for r in pages[1:])


def test_password_and_sign_in(gateway: HttpGraph, fabrikam: Customer, graph_lab: GraphLab) -> None:
    adele = graph_lab.user_id("adele.vance")
    gateway.set_password(fabrikam, adele, PASSWORD, True)
    state = graph_lab.tenant().users[adele]
    assert (state.password, state.force_change_password) == (PASSWORD.get_secret_value(), True)
    gateway.set_enabled(fabrikam, adele, False)
    assert gateway.read_user(fabrikam, adele).account_enabled is False
    gateway.set_enabled(fabrikam, adele, True)
    assert graph_lab.tenant().users[adele].account_enabled is True
    before = graph_lab.tenant().users[adele].sign_in_sessions_valid_from
    gateway.revoke_sessions(fabrikam, adele)
    assert graph_lab.tenant().users[adele].sign_in_sessions_valid_from != before


def test_refusals_keep_graphs_reason(gateway: HttpGraph, graph_lab: GraphLab) -> None:
    lab, fabrikam = customer(graph_lab, "lab"), customer(graph_lab, "fabrikam")
    anna = gateway.read_user(lab, "anna.schmidt@lab.test")
    assert (anna.on_premises_sync_enabled, anna.on_premises_sam_account_name) == (
        True, "anna.schmidt",
    )  # fmt: skip
    with pytest.raises(GraphRefusedError) as synced:
        gateway.set_password(lab, anna.id, PASSWORD, True)
    assert synced.value.graph_code == "Request_BadRequest"
    assert "on-premises mastered Directory Sync objects" in synced.value.message
    assert synced.value.request_id and synced.value.status == 400
    # Sessions live in Entra ID: revoking them works for a synced account too.
    gateway.revoke_sessions(lab, anna.id)
    with pytest.raises(GraphRefusedError) as admin:
        gateway.set_enabled(fabrikam, graph_lab.user_id("patti.fernandez"), False)
    assert admin.value.graph_code == "Authorization_RequestDenied"
    assert "Insufficient privileges" in admin.value.message
    with pytest.raises(GraphRefusedError, match="complexity"):
        gateway.set_password(fabrikam, graph_lab.user_id("alex.wilber"), SecretStr("short"), True)
    graph_lab.simulator.deny("User.RevokeSessions.All")
    with pytest.raises(GraphRefusedError, match="Authorization_RequestDenied"):
        gateway.revoke_sessions(fabrikam, graph_lab.user_id("alex.wilber"))
    with pytest.raises(GraphNotFoundError, match="Request_ResourceNotFound"):
        gateway.set_enabled(fabrikam, "00000000-0000-0000-0000-000000000000", False)
