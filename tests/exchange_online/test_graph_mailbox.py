"""What only the Graph backend does (Exchange Online), against the Graph simulator (not
Microsoft) through HttpGraph and msal: refusals where Graph has no API, HTML messages, the
mailbox's own window, other people's rules, Graph's failures, and the accounts of a
cloud-only customer vetted in Entra ID. The behaviour both backends share is in
tests/mailbox/test_backends.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from runner_api.customers.models import Customer, MailboxBackend, MailboxConfig
from runner_api.entra import accounts as entra_accounts
from runner_api.graph import HttpGraph
from runner_api.mailbox.fixes import FORWARD_RULE
from runner_api.mailbox.gateway import OofState
from runner_api.runs.status import RunStatus
from tests.graph.conftest import DOMAINS
from tests.graph.conftest import customer as tenant_customer
from tests.mailbox.backends import World, graph_world, hybrid_lab
from tests.plugins.fakes import wait_until
from tests.plugins.graph_lab import GraphLab

ANNA = "anna.schmidt@lab.test"
HENRY = "henry.moreau@lab.test"
ALEX = "alex.wilber@fabrikam.example"
ADELE = "adele.vance@fabrikam.example"


def _requests(lab: GraphLab) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in lab.simulator.requests
        if "/oauth2/" not in r.path and ".well-known" not in r.path
    ]


@pytest.fixture
def lab_world(graph_lab: GraphLab, graph_gateway: HttpGraph) -> World:
    return graph_world(graph_lab, graph_gateway, hybrid_lab(graph_lab))


@pytest.fixture
def cloud(graph_lab: GraphLab, graph_gateway: HttpGraph) -> World:
    """fabrikam: cloud-only, its accounts in Entra ID and its mail in Exchange Online."""
    fabrikam = tenant_customer(graph_lab, "fabrikam", deny_list=("isaiah.langer@fabrikam.example",))
    mailbox = MailboxConfig("", (DOMAINS["fabrikam"],), backend=MailboxBackend.GRAPH)
    customer: Customer = replace(
        fabrikam, mailbox=mailbox, vip_users=frozenset({"nestor.wilke@fabrikam.example"})
    )
    return graph_world(graph_lab, graph_gateway, customer)


def test_inbox_permissions_are_refused_before_any_request(
    lab_world: World, graph_lab: GraphLab
) -> None:
    graph_lab.simulator.clear_requests()
    for action, extra in [("mailbox_folder_permission_grant", {"level": "Reviewer"}),
                          ("mailbox_folder_permission_revoke", {})]:  # fmt: skip
        _, outcome = lab_world.run(action, mailbox=ANNA, folder="inbox", user=HENRY, **extra)
        assert outcome.status is RunStatus.REFUSED
        assert outcome.details["refused_by"] == "mailbox_unsupported"
        assert "no API for Inbox (mail folder) permissions" in str(outcome.error)
    assert graph_lab.simulator.requests == []


def test_calendar_levels_without_a_graph_role_are_refused(
    lab_world: World, graph_lab: GraphLab
) -> None:
    graph_lab.simulator.clear_requests()
    _, outcome = lab_world.run(
        "mailbox_folder_permission_grant", check_mode=True, mailbox=ANNA, folder="calendar",
        user=HENRY, level="Author",
    )  # fmt: skip
    assert outcome.status is RunStatus.REFUSED
    assert "level Author has no Microsoft Graph calendar role" in str(outcome.error)
    assert "Reviewer (read)" in str(outcome.error)
    assert graph_lab.simulator.requests == []


def test_info_names_what_graph_cannot_show_and_lists_others_forwarding(cloud: World) -> None:
    _, outcome = cloud.run("mailbox_info", mailbox=ALEX)
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    details = outcome.details
    assert set(details["permissions"]) == {"calendar"}
    unavailable = " ".join(details["unavailable"])
    assert "Inbox (mail folder) permissions" in unavailable and "delegates" in unavailable
    rules = {rule["name"]: rule for rule in details["rules"]}
    assert rules["Invoices to Grady"]["forward_to"] == ["grady.archie@fabrikam.example"]
    assert "1 forwarding" in outcome.summary and "unread of" in outcome.summary


def test_fixlines_forwarding_leaves_other_forwarding_rules_alone(cloud: World) -> None:
    _, outcome = cloud.run("mailbox_forwarding_set", mailbox=ALEX, forward_to=ADELE)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    others = outcome.details["other_forwarding_rules"]
    assert others == [{"rule": "Invoices to Grady", "forward_to": ["grady.archie@fabrikam.example"],
                       "redirect_to": []}]  # fmt: skip
    _, cleared = cloud.run("mailbox_forwarding_clear", mailbox=ALEX)
    assert cleared.status is RunStatus.SUCCEEDED and cleared.changed, cleared.error
    names = [rule.name for rule in cloud.gateway.get_rules(cloud.customer, ALEX)]
    assert names == ["Newsletters", "Invoices to Grady"] and FORWARD_RULE not in names


def test_an_html_reply_reads_as_text_and_a_scheduled_window_in_the_mailboxs_zone(
    cloud: World,
) -> None:
    diego = cloud.gateway.get_oof(cloud.customer, "diego.siciliani@fabrikam.example")
    assert diego.state is OofState.ENABLED
    assert "<" not in diego.internal_message and "\n" in diego.internal_message
    isaiah = cloud.gateway.get_oof(cloud.customer, "isaiah.langer@fabrikam.example")
    assert isaiah.state is OofState.SCHEDULED
    assert isaiah.start == datetime(2030, 3, 20, 18, tzinfo=UTC)
    assert isaiah.end == datetime(2030, 3, 28, 18, tzinfo=UTC)


def test_a_user_without_a_mailbox_fails_with_the_reason(cloud: World) -> None:
    _, outcome = cloud.run("mailbox_info", mailbox="pradeep.gupta@fabrikam.example")
    assert outcome.status is RunStatus.FAILED
    assert "has no Exchange Online mailbox" in str(outcome.error)


def test_graphs_failures_end_as_recorded_reasons(cloud: World, graph_lab: GraphLab) -> None:
    sim = graph_lab.simulator
    cloud.run("mailbox_info", mailbox=ADELE)  # warm: token and discovery
    # The app holds MailboxSettings.ReadWrite only: without it, not even a read is allowed.
    sim.deny("MailboxSettings.ReadWrite")
    _, denied = cloud.run("mailbox_oof_set", mailbox=ADELE, internal_message="Away")
    assert denied.status is RunStatus.FAILED
    assert "may not read automatic replies" in str(denied.error), denied.error
    assert "Exchange RBAC for Applications" in str(denied.error)
    sim.clear_faults()
    sim.throttle(3, retry_after_s=120)
    _, throttled = cloud.run("mailbox_oof_set", mailbox=ADELE, internal_message="Away")
    assert throttled.status is RunStatus.FAILED
    assert "throttl" in str(throttled.error) and "120 s" in str(throttled.error)
    sim.clear_faults()
    sim.lose_answer()  # the next write is applied, and its answer never comes
    _, lost = cloud.run("mailbox_oof_set", mailbox=ADELE, internal_message="Away")
    assert lost.status is RunStatus.FAILED, lost.error
    assert lost.details["outcome_unknown"] is True
    assert str(lost.error).startswith("outcome unknown")
    sim.clear_faults()
    # It was applied: the same fix again is no change.
    _, again = cloud.run("mailbox_oof_set", mailbox=ADELE, internal_message="Away")
    assert again.status is RunStatus.SUCCEEDED and not again.changed, again.error
    sim.stall(3.0)
    slow = replace(cloud, customer=_timeout(cloud.customer, 0.5))
    _, stalled = slow.run("mailbox_oof_clear", mailbox=ADELE)
    assert stalled.status is RunStatus.FAILED and "no answer in time" in str(stalled.error)


def _timeout(customer: Customer, seconds: float) -> Customer:
    assert customer.entra is not None
    return replace(customer, entra=replace(customer.entra, timeout_s=seconds))


def test_a_cloud_customers_accounts_are_vetted_in_entra_id(
    cloud: World, graph_lab: GraphLab
) -> None:
    for mailbox, why in [
        ("patti.fernandez@fabrikam.example", "Global Administrator"),
        ("isaiah.langer@fabrikam.example", "deny list"),
        ("nestor.wilke@fabrikam.example", "VIP"),
    ]:
        _, outcome = cloud.run("mailbox_oof_set", mailbox=mailbox, internal_message="Away")
        assert outcome.status is RunStatus.REFUSED and why in str(outcome.error), outcome.error
    assert cloud.writes() == 0
    graph_lab.simulator.clear_requests()
    _, outcome = cloud.run("mailbox_oof_set", mailbox=ADELE, internal_message="Away")
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    # The owner is read once for the VIP hold and the guardrail, its memberships every run.
    _, again = cloud.run("mailbox_oof_set", mailbox=ADELE, internal_message="Back soon")
    assert again.status is RunStatus.SUCCEEDED, again.error
    reads = [path for method, path in _requests(graph_lab) if method == "GET"]
    assert sum(1 for path in reads if path.endswith(ADELE)) == 1, reads
    assert sum(1 for path in reads if path.endswith("/transitiveMemberOf")) == 2, reads


def test_an_owner_read_more_than_seconds_ago_is_read_again(
    cloud: World, graph_lab: GraphLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(entra_accounts, "FOUND_FRESH_S", 0.0)
    graph_lab.simulator.clear_requests()
    _, outcome = cloud.run("mailbox_oof_set", mailbox=ADELE, internal_message="Away")
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    reads = [path for method, path in _requests(graph_lab) if method == "GET"]
    assert sum(1 for path in reads if path.endswith(ADELE)) == 2, reads


def test_a_runs_graph_calls_are_its_events_with_graphs_ids(
    cloud: World, graph_lab: GraphLab
) -> None:
    graph_lab.simulator.clear_requests()
    run, outcome = cloud.run("mailbox_oof_set", mailbox=ADELE, internal_message="Away")
    assert outcome.status is RunStatus.SUCCEEDED, outcome.error
    calls = [dict(e.data) for e in run.events if e.kind == "graph"]
    settings = f"/v1.0/users/{ADELE}/mailboxSettings"
    assert [(c["method"], c["path"]) for c in calls] == [("GET", settings), ("PATCH", settings)]
    answered = {r.request_id for r in graph_lab.simulator.requests}
    assert all(c["request_id"] in answered and c["client_request_id"] for c in calls)
    # Never a body: the reply's text is in no event.
    assert "Away" not in " ".join(str(e.data) for e in run.events if e.kind == "graph")


def _memberships_read(lab: GraphLab) -> int:
    return sum(1 for method, path in _requests(lab) if path.endswith("/transitiveMemberOf"))


def test_the_owner_is_vetted_while_the_run_is_recorded_then_its_replies_read(
    cloud: World, graph_lab: GraphLab
) -> None:
    # The owner's account is read for the VIP hold before the record; its memberships and
    # then the automatic replies are read ahead beside the commit (look_ahead), and the run
    # takes those reads, recording the settings read as its own event.
    assert cloud.run("mailbox_oof_set", mailbox=ADELE, internal_message="Away")[1].changed
    graph_lab.simulator.clear_requests()
    run = cloud.ahead("mailbox_oof_set", mailbox=ADELE, internal_message="Back soon")
    settings = ("GET", f"/v1.0/users/{ADELE}/mailboxSettings")
    wait_until(lambda: settings in _requests(graph_lab), what="the settings read ahead")
    assert _memberships_read(graph_lab) == 1, _requests(graph_lab)
    paths = [path for _, path in _requests(graph_lab)]
    assert paths.index(settings[1]) > max(
        i for i, path in enumerate(paths) if path.endswith("/transitiveMemberOf")
    ), paths
    outcome = cloud.executor.execute(run.ctx)
    assert outcome.status is RunStatus.SUCCEEDED and outcome.changed, outcome.error
    assert _memberships_read(graph_lab) == 1 and _requests(graph_lab).count(settings) == 1
    calls = [
        (dict(e.data)["method"], dict(e.data)["path"]) for e in run.events if e.kind == "graph"
    ]
    assert calls == [settings, ("PATCH", settings[1])], calls
    answered = {r.request_id for r in graph_lab.simulator.requests}
    assert all(dict(e.data)["request_id"] in answered for e in run.events if e.kind == "graph")
    kinds = [event.kind for event in run.events]
    assert kinds.index("guardrails") < kinds.index("graph")


def test_a_vip_owners_mailbox_is_not_read_ahead(cloud: World, graph_lab: GraphLab) -> None:
    graph_lab.simulator.clear_requests()
    nestor = "nestor.wilke@fabrikam.example"
    run = cloud.ahead("mailbox_oof_set", mailbox=nestor, internal_message="Away")
    outcome = cloud.executor.execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED and "VIP" in str(outcome.error)
    assert not any("mailboxSettings" in path for _, path in _requests(graph_lab))


def test_a_refusal_found_ahead_refuses_the_run_before_any_mailbox_request(
    cloud: World, graph_lab: GraphLab
) -> None:
    patti = "patti.fernandez@fabrikam.example"
    run = cloud.ahead("mailbox_oof_set", mailbox=patti, internal_message="Away")
    outcome = cloud.executor.execute(run.ctx)
    assert outcome.status is RunStatus.REFUSED, outcome.error
    assert "Global Administrator" in str(outcome.error)
    assert not any("mailboxSettings" in path for _, path in _requests(graph_lab))


def test_a_read_ahead_of_a_run_that_queued_is_made_again(cloud: World, graph_lab: GraphLab) -> None:
    graph_lab.simulator.clear_requests()
    run = cloud.ahead("mailbox_oof_set", mailbox=ADELE, internal_message="Away")
    wait_until(lambda: _memberships_read(graph_lab) == 1, what="the owner's memberships read")
    cloud.executor.drop_ahead(run.ctx.run_id)
    assert cloud.executor.execute(run.ctx).status is RunStatus.SUCCEEDED
    assert _memberships_read(graph_lab) == 2, _requests(graph_lab)


def test_a_read_ahead_that_failed_is_recorded_and_made_again_by_the_run(
    cloud: World, graph_lab: GraphLab
) -> None:
    pradeep = "pradeep.gupta@fabrikam.example"  # no Exchange Online licence: no mailbox
    graph_lab.simulator.clear_requests()
    run = cloud.ahead("mailbox_oof_set", mailbox=pradeep, internal_message="Away")
    outcome = cloud.executor.execute(run.ctx)
    assert outcome.status is RunStatus.FAILED and "has no Exchange Online mailbox" in str(
        outcome.error
    )
    settings = f"/v1.0/users/{pradeep}/mailboxSettings"
    made = [path for _, path in _requests(graph_lab) if path == settings]
    recorded = [dict(e.data) for e in run.events if e.kind == "graph"]
    assert len(made) == 2 and [(c["path"], c["status"]) for c in recorded] == [(settings, 404)] * 2
