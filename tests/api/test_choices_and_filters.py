"""Pickers' choices and the runs list's filters, through the API on the fast tier: what
GET /actions/{name}/choices offers is what POST /runs accepts, per customer and never
another customer's; GET /runs filters by ticket prefix, status and action."""

from __future__ import annotations

from fastapi.testclient import TestClient

from runner_api.auth.principal import Role
from runner_api.core import Core
from tests.authz.conftest import by
from tests.plugins.fakes import post_run, refused_at_start, run_fix


def _token(core: Core, customer: str) -> dict[str, str]:
    issued = core.tokens.create(
        name=f"agent-{customer}",
        role=Role.AGENT,
        customers=[customer],
        actions=None,
        created_by=by("t"),
    )
    return {"Authorization": f"Bearer {issued.secret}"}


def test_choices_are_the_inventory_and_the_allow_lists(fast_client: TestClient) -> None:
    answer = fast_client.get("/actions/service_restart/choices", params={"customer": "lab"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "host": {"values": ["lab-host", "lab-offline"], "source": "inventory"},
        "unit": {"values": ["fixline-lab-web"], "source": "services"},
    }
    # The parameter schema says which fields are listed, and where their values are kept.
    schema = fast_client.get("/actions/service_restart").json()["params_schema"]
    assert schema["properties"]["host"]["x-choices"] == "inventory"
    assert schema["properties"]["unit"]["x-choices"] == "services"
    groups = fast_client.get("/actions/group_add/choices", params={"customer": "lab"}).json()
    assert groups == {"group": {"values": ["VPN-Users"], "source": "groups"}}
    # Certificates are issued for inventory hosts only: the same list.
    cert = fast_client.get("/actions/cert_issue_install/choices", params={"customer": "lab"})
    assert cert.json()["host"]["values"] == ["lab-host", "lab-offline"]
    # Free text (a login, a mailbox): nothing listed.
    unlock = fast_client.get("/actions/account_unlock/choices", params={"customer": "lab"})
    assert unlock.json() == {}
    # A customer without hosts: an empty list, not another customer's.
    contoso = fast_client.get("/actions/smoke_check/choices", params={"customer": "contoso"})
    assert contoso.json() == {"host": {"values": [], "source": "inventory"}}


def test_what_is_offered_is_what_a_run_accepts(fast_client: TestClient) -> None:
    listed = fast_client.get("/actions/service_restart/choices", params={"customer": "lab"})
    host = listed.json()["host"]["values"][0]
    unit = listed.json()["unit"]["values"][0]
    run = run_fix(fast_client, "service_restart", "INC-CHOICE-1", host=host, unit=unit)
    assert run["status"] == "succeeded", run
    # Anything else is refused: a host outside the inventory (422), a unit off the list (403).
    unknown = post_run(fast_client, "service_restart", "INC-CHOICE-2", host="db-1", unit=unit)
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["error"]["details"]["errors"][0]["loc"] == ["params", "host"]
    error, _ = refused_at_start(
        fast_client, "service_restart", "INC-CHOICE-3", host=host, unit="sshd"
    )
    assert error["code"] == "not_allowlisted"
    cert = post_run(fast_client, "cert_issue_install", "INC-CHOICE-4", host="db-1")
    assert cert.status_code == 422, cert.text


def test_another_customers_choices_do_not_exist_for_a_caller(
    fast_client: TestClient, fast_core: Core
) -> None:
    contoso = _token(fast_core, "contoso")
    answer = fast_client.get(
        "/actions/smoke_check/choices", params={"customer": "lab"}, headers=contoso
    )
    assert answer.status_code == 404, answer.text
    assert "lab-host" not in answer.text
    own = fast_client.get(
        "/actions/smoke_check/choices", params={"customer": "contoso"}, headers=contoso
    )
    assert own.json() == {"host": {"values": [], "source": "inventory"}}


def test_runs_filter_by_ticket_prefix_status_and_action(fast_client: TestClient) -> None:
    run_fix(fast_client, "smoke_check", "INC-PFX-10", host="lab-host")
    run_fix(fast_client, "smoke_check", "INC-PFX-104", host="lab-host")
    run_fix(fast_client, "smoke_check", "inc-pfx-11", host="lab-host")
    refused_at_start(fast_client, "service_restart", "INC-PFX-2", host="lab-host", unit="sshd")

    def tickets(**filters: str) -> list[str]:
        answer = fast_client.get("/runs", params=filters)
        assert answer.status_code == 200, answer.text
        return sorted(run["ticket_id"] for run in answer.json()["items"])

    assert tickets(ticket_prefix="INC-PFX-1") == ["INC-PFX-10", "INC-PFX-104"]
    # Case as stored, and no wildcard: "%" and "_" are plain characters.
    assert tickets(ticket_prefix="INC-PFX_") == []
    assert tickets(ticket_prefix="INC-PFX-%") == []
    assert tickets(ticket_prefix="INC-PFX", status="refused") == ["INC-PFX-2"]
    assert tickets(ticket_prefix="INC-PFX", action="smoke_check") == [
        "INC-PFX-10", "INC-PFX-104",
    ]  # fmt: skip
    assert tickets(ticket_prefix="INC-PFX", action="smoke_check", status="refused") == []
