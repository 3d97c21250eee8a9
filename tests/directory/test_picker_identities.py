"""GET /directory/users by the customer's identity, through the real Core and API: AD (the
fast tier's FakeDirectory), Entra ID (HttpGraph on the Graph simulator, not Microsoft) or
both, merged; and what the agent gets when Graph or AD fails. No root, no lab DC.

Customers: contoso `ad`; fabrikam `entra` (isaiah.langer deny-listed); lab `hybrid` (its
AD the fake, its tenant the simulator's synced copies of some lab users, plus zoe.martin
and breakglass, cloud-only); nowhere `entra`, on a loopback port nothing listens on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from lab.graph.state import User
from runner_api.app import create_app
from runner_api.directory.router import UNAVAILABLE, UNAVAILABLE_REASON
from tests.plugins.fakes import FAST_AUTH, Fakes, fast_core_for, fast_settings_for
from tests.plugins.graph_lab import GraphLab, entra_inventories
from tests.plugins.server import free_port

TIMEOUT_S = 2.0
DENIED = "isaiah.langer@fabrikam.example"
AD, ENTRA, SYNCED = "active_directory", "entra_id", "synced"


@pytest.fixture
def fakes() -> Fakes:
    return Fakes(graph=True)


@pytest.fixture
def client(tmp_path: Path, graph_lab: GraphLab, fakes: Fakes) -> Iterator[TestClient]:
    simulator = graph_lab.simulator
    inventories = entra_inventories(
        tmp_path / "inventories",
        simulator,
        graph_lab.credentials,
        timeout_s=TIMEOUT_S,
        max_retry_wait_s=5,
    )
    fabrikam = inventories / "fabrikam" / "fixline.yml"
    config = yaml.safe_load(fabrikam.read_text())
    config["entra"]["deny_list"] = [DENIED]
    fabrikam.write_text(yaml.safe_dump(config))
    nowhere = inventories / "nowhere"
    nowhere.mkdir()
    closed = f"https://127.0.0.1:{free_port()}"
    config["entra"].update(authority_host=closed, graph_url=f"{closed}/v1.0", deny_list=[])
    (nowhere / "fixline.yml").write_text(yaml.safe_dump(config))
    (nowhere / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {}}}))

    settings = fast_settings_for(tmp_path, inventories_dir=inventories)
    core = fast_core_for(settings, fakes)
    for name in ("lab", "fabrikam", "nowhere"):
        app = graph_lab.credentials["fabrikam" if name == "nowhere" else name]
        core.credentials.store_graph_credential(name, app.graph_credential(simulator.ca_pem))
    with TestClient(create_app(settings, core), headers=FAST_AUTH) as served:
        yield served
    core.stop()


def found(client: TestClient, customer: str, q: str, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/directory/users", params={"customer": customer, "q": q, **params})
    assert answer.status_code == 200, answer.text
    assert UNAVAILABLE not in answer.headers, answer.headers
    users: list[dict[str, Any]] = answer.json()
    return users


def by_name(users: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {user["username"]: user for user in users}


# Each identity.


def test_an_ad_customer_is_searched_in_ad_only(client: TestClient, graph_lab: GraphLab) -> None:
    (chloe,) = found(client, "contoso", "chloe")
    assert chloe["origin"] == AD and chloe["upn"] is None
    assert chloe["locked"] is True and chloe["must_change_password"] is False
    assert chloe["password_age_days"] is not None
    assert not [r for r in graph_lab.simulator.requests if "search" in r.query]


def test_an_entra_customer_is_searched_in_entra_id(client: TestClient) -> None:
    (adele,) = found(client, "fabrikam", "adele")
    assert adele == {
        "username": "adele.vance@fabrikam.example",
        "origin": ENTRA,
        "upn": "adele.vance@fabrikam.example",
        "display_name": "Adele Vance",
        "mail": "adele.vance@fabrikam.example",
        "enabled": True,
        # Graph cannot tell: never shown as unlocked.
        "locked": None,
        "last_logon": None,
        "password_age_days": None,
        "must_change_password": None,
        "groups": ["All Staff", "Sales Team"],
        "protected": False,
    }
    (joni,) = found(client, "fabrikam", "joni")
    assert joni["enabled"] is False and not joni["protected"]


def test_entra_protection_follows_the_guardrails(client: TestClient) -> None:
    assert found(client, "fabrikam", "patti")[0]["protected"]  # Global Administrator
    # Members of the role-assignable IT Admins (a role through a group).
    assert all(u["protected"] for u in found(client, "fabrikam", "lee")) is True
    assert found(client, "fabrikam", "lynne")[0]["protected"]
    assert found(client, "fabrikam", "isaiah")[0]["protected"]  # the deny list
    assert not found(client, "fabrikam", "megan")[0]["protected"]


def test_a_hybrid_customer_gets_one_entry_per_account(client: TestClient) -> None:
    (anna,) = found(client, "lab", "anna")
    assert anna["username"] == "anna.schmidt" and anna["origin"] == SYNCED
    assert anna["upn"] == "anna.schmidt@lab.test"
    # What AD knows of it: where its password, sign-in and groups are changed.
    assert anna["locked"] is False and anna["password_age_days"] is not None
    assert "VPN-Users" in anna["groups"]
    (zoe,) = found(client, "lab", "zoe")
    assert zoe["username"] == zoe["upn"] == "zoe.martin@lab.test"
    assert zoe["origin"] == ENTRA and zoe["locked"] is None and not zoe["protected"]
    (chloe,) = found(client, "lab", "chloe")
    assert chloe["origin"] == AD and chloe["upn"] is None and chloe["locked"] is True
    (breakglass,) = found(client, "lab", "break")
    assert breakglass["origin"] == ENTRA and breakglass["protected"]
    # Deny-listed in AD: a synced account is protected when either directory says so.
    (walter,) = found(client, "lab", "walter")
    assert walter["origin"] == SYNCED and walter["protected"]


def test_the_two_searches_are_completed_before_the_merge(client: TestClient) -> None:
    # "m": AD matches display names containing it (Emma Larsen), Graph only word
    # prefixes (Henry Moreau, Karen Mills, Zoe Martin): Emma's synced copy is looked up.
    users = by_name(found(client, "lab", "m", limit=50))
    assert users["emma.larsen"]["origin"] == SYNCED
    assert users["emma.larsen"]["upn"] == "emma.larsen@lab.test"
    assert users["henry.moreau"]["origin"] == users["karen.mills"]["origin"] == SYNCED
    assert users["zoe.martin@lab.test"]["origin"] == ENTRA
    assert users["maria.rossi"]["origin"] == AD and users["tom.hughes"]["origin"] == AD
    assert "henry.moreau@lab.test" not in users  # one entry, by its sAMAccountName
    names = [u["display_name"] or u["username"] for u in users.values()]
    assert names == sorted(names, key=str.casefold)


def test_a_synced_account_outside_the_user_ous_is_not_listed(
    client: TestClient, graph_lab: GraphLab
) -> None:
    tenant = graph_lab.tenant("lab")
    upn = "svc-backup@lab.test"
    user = User(graph_lab.user_id("svc-backup", "lab"), upn, "Backup Service", None, None, upn)
    user.on_premises_sync_enabled = True
    user.on_premises_sam_account_name = "svc-backup"
    with graph_lab.simulator.state.lock:
        tenant.users[user.id] = user
    assert found(client, "lab", "svc") == []
    assert found(client, "lab", "Backup Serv") == []


def test_the_openapi_schema_documents_origin_and_the_failure_headers(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    answer = schema["paths"]["/directory/users"]["get"]["responses"]["200"]
    assert set(answer["headers"]) == {UNAVAILABLE, UNAVAILABLE_REASON}
    user = schema["components"]["schemas"]["DirectoryUser"]["properties"]
    assert "sessions, MFA" in user["origin"]["description"]
    assert "smart lockout" in user["locked"]["description"]


# Failures: an Entra ID customer gets the API's error, never a 500, never a wait.


def error_of(client: TestClient, customer: str, q: str, status: int = 502) -> dict[str, Any]:
    started = time.monotonic()
    answer = client.get("/directory/users", params={"customer": customer, "q": q})
    assert time.monotonic() - started < TIMEOUT_S + 2, "the picker waited past entra.timeout_s"
    assert answer.status_code == status, answer.text
    error: dict[str, Any] = answer.json()["error"]
    return error


def test_throttled_graph(client: TestClient, graph_lab: GraphLab) -> None:
    graph_lab.simulator.throttle(5, retry_after_s=60)  # past max_retry_wait_s
    error = error_of(client, "fabrikam", "adele")
    assert error["code"] == "graph_throttled" and "Graph asks to wait 60 s" in error["message"]
    assert error["details"]["status"] == 429 and error["details"]["request_id"]


def test_a_throttle_within_the_budget_is_waited_out(
    client: TestClient, graph_lab: GraphLab
) -> None:
    graph_lab.simulator.throttle(1, retry_after_s=1)
    assert [u["username"] for u in found(client, "fabrikam", "adele")] == [
        "adele.vance@fabrikam.example"
    ]


def test_a_retry_after_past_the_timeout_is_not_waited(
    client: TestClient, graph_lab: GraphLab
) -> None:
    # Within max_retry_wait_s (5 s), which a run would wait; not within the picker's 2 s.
    graph_lab.simulator.throttle(3, retry_after_s=3)
    error = error_of(client, "fabrikam", "adele")
    assert error["code"] == "graph_throttled" and "time budget" in error["message"]


def test_unreachable_graph(client: TestClient) -> None:
    error = error_of(client, "nowhere", "adele")
    assert error["code"] == "graph_unavailable" and "cannot connect" in error["message"]


def test_stalled_graph_ends_at_the_timeout(client: TestClient, graph_lab: GraphLab) -> None:
    graph_lab.simulator.stall(30)
    error = error_of(client, "fabrikam", "adele")
    assert error["code"] == "graph_unavailable" and "no answer in time" in error["message"]


def test_refused_by_graph(client: TestClient, graph_lab: GraphLab) -> None:
    graph_lab.simulator.deny("User.Read.All")
    error = error_of(client, "fabrikam", "adele")
    assert error["code"] == "graph_refused"
    assert "Authorization_RequestDenied" in error["message"]


# Failures of one side of a hybrid customer: the other side's accounts, and a note.


def partial(client: TestClient, q: str) -> tuple[dict[str, dict[str, Any]], str, str]:
    started = time.monotonic()
    answer = client.get("/directory/users", params={"customer": "lab", "q": q})
    assert time.monotonic() - started < TIMEOUT_S + 2
    assert answer.status_code == 200, answer.text
    return by_name(answer.json()), answer.headers[UNAVAILABLE], answer.headers[UNAVAILABLE_REASON]


def test_hybrid_with_graph_throttled_answers_from_ad(
    client: TestClient, graph_lab: GraphLab
) -> None:
    graph_lab.simulator.throttle(5, retry_after_s=60)
    users, side, reason = partial(client, "m")
    assert side == ENTRA and reason.startswith("graph_throttled: ")
    # AD's accounts; whether each is synced is not known without Entra ID.
    assert {"henry.moreau", "maria.rossi", "emma.larsen"} <= set(users)
    assert not [u for u in users.values() if u["origin"] != AD]


def test_hybrid_with_graph_stalled_answers_from_ad_in_time(
    client: TestClient, graph_lab: GraphLab
) -> None:
    graph_lab.simulator.stall(30)
    users, side, reason = partial(client, "anna")
    assert list(users) == ["anna.schmidt"] and side == ENTRA
    assert reason.startswith("graph_unavailable: ")


def test_hybrid_with_ad_down_answers_from_entra_id(client: TestClient, fakes: Fakes) -> None:
    fakes.directory.set_down("lab")
    users, side, reason = partial(client, "m")
    assert side == AD and reason.startswith("directory_unreachable: ")
    henry = users["henry.moreau"]  # named as AD names it, so fixes route as usual
    assert henry["origin"] == SYNCED and henry["upn"] == "henry.moreau@lab.test"
    assert henry["locked"] is None and henry["password_age_days"] is None
    assert users["zoe.martin@lab.test"]["origin"] == ENTRA
    assert "maria.rossi" not in users  # AD only


def test_hybrid_with_both_down_is_an_error_naming_both(
    client: TestClient, fakes: Fakes, graph_lab: GraphLab
) -> None:
    fakes.directory.set_down("lab")
    graph_lab.simulator.deny("User.Read.All")
    error = error_of(client, "lab", "anna")
    assert error["code"] == "directories_unavailable"
    assert error["message"].startswith("neither directory answered: Active Directory: ")
    assert error["details"][AD]["code"] == "directory_unreachable"
    assert error["details"][ENTRA]["code"] == "graph_refused"


def test_the_reason_header_is_ascii_whatever_the_search(
    client: TestClient, graph_lab: GraphLab
) -> None:
    graph_lab.simulator.throttle(5, retry_after_s=60)
    _, side, reason = partial(client, "Zoë\u2028x")
    assert side == ENTRA and "Zo\\u00eb\\u2028x" in reason and reason.isascii()
