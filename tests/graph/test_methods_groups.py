"""Authentication methods, passes, groups and roles through HttpGraph and the simulator."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import SecretStr

from runner_api.customers.models import Customer
from runner_api.graph import HttpGraph
from runner_api.graph.errors import GraphAmbiguousError, GraphNotFoundError, GraphRefusedError
from runner_api.graph.gateway import GroupKind
from tests.graph.conftest import Calls, customer
from tests.plugins.graph_lab import GraphLab


def test_methods_default_last_and_a_pass_once(
    gateway: HttpGraph, fabrikam: Customer, graph_lab: GraphLab, calls: Calls
) -> None:
    megan = graph_lab.user_id("megan.bowen")
    methods = gateway.list_methods(fabrikam, megan)
    kinds = [m.kind for m in methods]
    assert kinds == ["password", "microsoftAuthenticator", "phone", "fido2", "softwareOath",
                     "email"]  # fmt: skip
    (default,) = [m for m in methods if m.is_default]
    assert default.kind == "microsoftAuthenticator"
    with pytest.raises(GraphRefusedError, match="Cannot delete default method"):
        gateway.delete_method(fabrikam, megan, default)
    for method in methods:
        if method.kind not in ("password", default.kind):
            assert gateway.delete_method(fabrikam, megan, method) is True
    assert gateway.delete_method(fabrikam, megan, default) is True
    assert gateway.delete_method(fabrikam, megan, default) is False
    assert [m.kind for m in gateway.list_methods(fabrikam, megan)] == ["password"]
    graph_lab.simulator.deny("AuditLog.Read.All")  # no report: nothing marked default
    diego = graph_lab.user_id("diego.siciliani")
    assert not any(m.is_default for m in gateway.list_methods(fabrikam, diego))
    tap = gateway.create_tap(fabrikam, megan, 60, True, budget=calls.budget())
    assert isinstance(tap.value, SecretStr) and len(tap.value.get_secret_value()) >= 8
    assert (tap.lifetime_minutes, tap.usable_once) == (60, True)
    assert tap.start is not None and tap.start <= dt.datetime.now(dt.UTC)
    secret = tap.value.get_secret_value()
    assert secret not in repr(tap) and secret not in repr(calls.seen)
    listed = gateway.list_methods(fabrikam, megan)
    assert [m.kind for m in listed] == ["password", "temporaryAccessPass"]


def test_groups_kinds_and_membership(
    gateway: HttpGraph, fabrikam: Customer, graph_lab: GraphLab
) -> None:
    names = ("Sales Team", "Project Falcon", "Finance Mail-Enabled", "All Staff", "IT Admins")
    kinds = {name: gateway.find_group(fabrikam, name) for name in names}
    assert {name: g.kind for name, g in kinds.items() if g} == {
        "Sales Team": GroupKind.SECURITY,
        "Project Falcon": GroupKind.MICROSOFT365,
        "Finance Mail-Enabled": GroupKind.MAIL_ENABLED_SECURITY,
        "All Staff": GroupKind.DISTRIBUTION,
        "IT Admins": GroupKind.SECURITY,
    }
    assert [n for n, g in kinds.items() if g and g.role_assignable] == ["IT Admins"]
    assert gateway.find_group(fabrikam, "No Such Group") is None
    assert gateway.find_group(fabrikam, "it's") is None  # a quote is escaped, not a 400
    sales, alex = kinds["Sales Team"], graph_lab.user_id("alex.wilber")
    isaiah = graph_lab.user_id("isaiah.langer")
    assert sales is not None
    assert gateway.add_member(fabrikam, sales.id, isaiah) is True
    assert gateway.add_member(fabrikam, sales.id, isaiah) is False
    assert gateway.remove_member(fabrikam, sales.id, alex) is True
    assert gateway.remove_member(fabrikam, sales.id, alex) is False
    assert isaiah in graph_lab.tenant().groups[sales.id].members
    with pytest.raises(GraphNotFoundError):
        gateway.remove_member(fabrikam, "00000000-0000-0000-0000-000000000000", alex)
    mail = kinds["Finance Mail-Enabled"]
    assert mail is not None
    with pytest.raises(GraphRefusedError, match="mail-enabled security groups"):
        gateway.add_member(fabrikam, mail.id, alex)
    admins = kinds["IT Admins"]
    assert admins is not None
    with pytest.raises(GraphRefusedError, match="Authorization_RequestDenied"):
        gateway.add_member(fabrikam, admins.id, alex)


def test_a_second_group_of_the_same_name_is_ambiguous(
    gateway: HttpGraph, fabrikam: Customer, graph_lab: GraphLab
) -> None:
    tenant = graph_lab.tenant()
    sales = next(g for g in tenant.groups.values() if g.display_name == "Sales Team")
    twin = type(sales)("0f0f0f0f-0000-4000-8000-000000000001", "Sales Team")
    tenant.groups[twin.id] = twin
    with pytest.raises(GraphAmbiguousError, match=r"2 groups .* are named 'Sales Team'"):
        gateway.find_group(fabrikam, "Sales Team")


def test_roles_and_memberships_are_transitive(gateway: HttpGraph, graph_lab: GraphLab) -> None:
    fabrikam, lab = customer(graph_lab, "fabrikam"), customer(graph_lab, "lab")
    assert gateway.memberships(fabrikam, graph_lab.user_id("patti.fernandez")).roles == [
        "Global Administrator"
    ]
    lee = graph_lab.user_id("lee.gu")
    assert gateway.memberships(fabrikam, lee).roles == ["User Administrator"]
    assert [(g.name, g.role_assignable) for g in gateway.member_of(fabrikam, lee)] == [
        ("IT Admins", True)
    ]
    assert gateway.memberships(fabrikam, graph_lab.user_id("adele.vance")).roles == []
    groups = {g.name for g in gateway.member_of(fabrikam, graph_lab.user_id("adele.vance"))}
    assert groups == {"Sales Team", "All Staff"}
    assert gateway.memberships(lab, graph_lab.user_id("breakglass", "lab")).roles == [
        "Global Administrator"
    ]
