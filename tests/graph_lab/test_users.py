"""User routes of the simulator: list, search, filter, paging, get, PATCH, revokeSignInSessions."""

from __future__ import annotations

import httpx
import pytest

from tests.plugins.graph_lab import GraphLab

EVENTUAL = {"ConsistencyLevel": "eventual"}
GOOD_PASSWORD = "Correct-Horse-7-Battery"


def error_of(response: httpx.Response, status: int, code: str) -> str:
    """The message of a Graph error answer, after checking its status, code and shape."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    inner = error["innerError"]
    assert inner["request-id"] == response.headers["request-id"]
    assert inner["client-request-id"] == response.headers["client-request-id"]
    return str(error["message"])


def test_list_users_pages_with_a_skiptoken_next_link(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    seen: list[str] = []
    url: str | None = "/users?$top=4&$select=id,userPrincipalName"
    pages = 0
    while url:
        body = client.get(url).json()
        assert all(set(user) == {"id", "userPrincipalName"} for user in body["value"])
        seen += [user["userPrincipalName"] for user in body["value"]]
        url = body.get("@odata.nextLink")
        assert url is None or "$skiptoken=" in url
        pages += 1
    assert len(seen) == len(set(seen)) == len(graph_lab.tenant().users)
    assert pages == -(-len(seen) // 4)


def test_options_sent_percent_encoded_are_read_as_graph_reads_them(graph_lab: GraphLab) -> None:
    # httpx encodes "$" as %24 in params: Graph decodes the query before reading options.
    answer = graph_lab.client().get("/users", params={"$select": "id,displayName", "$top": "2"})
    assert answer.status_code == 200, answer.text
    assert all(set(user) == {"id", "displayName"} for user in answer.json()["value"])


def test_default_user_view_is_graphs_default_property_set(graph_lab: GraphLab) -> None:
    body = graph_lab.client().get("/users/adele.vance@fabrikam.example").json()
    assert body["@odata.context"].endswith("/v1.0/$metadata#users/$entity")
    assert "accountEnabled" not in body
    assert body["id"] == graph_lab.user_id("adele.vance")
    assert body["displayName"] == "Adele Vance"


def test_search_needs_consistency_level_eventual(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    message = error_of(
        client.get('/users?$search="displayName:meg"'), 400, "Request_UnsupportedQuery"
    )
    assert "ConsistencyLevel: eventual" in message
    body = client.get(
        '/users?$search="displayName:meg" OR "userPrincipalName:lee"&$count=true', headers=EVENTUAL
    ).json()
    assert body["@odata.count"] == 2
    assert {u["displayName"] for u in body["value"]} == {"Megan Bowen", "Lee Gu"}
    # Words match from their start: "bow" finds Bowen, "owen" does not.
    assert (
        len(client.get('/users?$search="displayName:owen"', headers=EVENTUAL).json()["value"]) == 0
    )


def test_count_without_eventual_is_refused(graph_lab: GraphLab) -> None:
    error_of(graph_lab.client().get("/users?$count=true"), 400, "Request_BadRequest")


def test_filter_by_upn_and_by_sam_account_name(graph_lab: GraphLab) -> None:
    client = graph_lab.client("lab")
    select = "$select=id,onPremisesSyncEnabled,onPremisesImmutableId"
    by_sam = client.get(f"/users?$filter=onPremisesSamAccountName eq 'henry.moreau'&{select}")
    (henry,) = by_sam.json()["value"]
    assert henry["onPremisesSyncEnabled"] is True
    assert henry["onPremisesImmutableId"]
    by_upn = client.get("/users?$filter=userPrincipalName eq 'Henry.Moreau@lab.test'").json()
    assert [u["id"] for u in by_upn["value"]] == [henry["id"]]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("$filter=startswith(displayName,'a')", 400, "Request_UnsupportedQuery"),
        ("$filter=department eq 'IT'", 400, "Request_UnsupportedQuery"),
        ("$select=shoeSize", 400, "BadRequest"),
        ("$top=1000", 400, "Request_BadRequest"),
        ("$skiptoken=garbage", 400, "Directory_InvalidSkipToken"),
        ("$orderby=displayName", 400, "Request_UnsupportedQuery"),
    ],
)
def test_unsupported_queries_are_refused_in_graphs_shape(
    graph_lab: GraphLab, query: str, status: int, code: str
) -> None:
    error_of(graph_lab.client().get(f"/users?{query}"), status, code)


def test_unknown_user_and_unknown_segment(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    message = error_of(
        client.get("/users/nobody@fabrikam.example"), 404, "Request_ResourceNotFound"
    )
    assert "nobody@fabrikam.example" in message
    message = error_of(client.get("/users/x/drive"), 400, "BadRequest")
    assert message == "Resource not found for the segment 'drive'."
    error_of(client.put("/users/x", json={}), 405, "Request_BadRequest")


def test_client_request_id_is_echoed_and_logged(graph_lab: GraphLab) -> None:
    response = graph_lab.client().get("/users?$top=1", headers={"client-request-id": "abc-123"})
    assert response.headers["client-request-id"] == "abc-123"
    assert response.headers["content-type"].startswith("application/json;odata.metadata=minimal")
    (logged,) = graph_lab.simulator.requests
    assert (logged.method, logged.path, logged.status) == ("GET", "/v1.0/users", 200)
    assert logged.request_id == response.headers["request-id"]
    assert logged.client_request_id == "abc-123"


def test_password_reset_and_block_sign_in(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    alex = graph_lab.user_id("alex.wilber")
    profile = {"password": GOOD_PASSWORD, "forceChangePasswordNextSignIn": True}
    response = client.patch(f"/users/{alex}", json={"passwordProfile": profile})
    assert response.status_code == 204
    assert response.content == b""
    user = graph_lab.tenant().users[alex]
    assert (user.password, user.force_change_password) == (GOOD_PASSWORD, True)
    assert client.patch(f"/users/{alex}", json={"accountEnabled": False}).status_code == 204
    read = client.get(f"/users/{alex}?$select=accountEnabled,passwordProfile").json()
    assert read["accountEnabled"] is False
    assert read["passwordProfile"]["password"] is None
    assert read["passwordProfile"]["forceChangePasswordNextSignIn"] is True


def test_weak_password_is_refused(graph_lab: GraphLab) -> None:
    alex = graph_lab.user_id("alex.wilber")
    for weak in ("short1!", "alllowercaseletters", "Alex.Wilber-2024!x"):
        response = graph_lab.client().patch(
            f"/users/{alex}", json={"passwordProfile": {"password": weak}}
        )
        assert "password complexity" in error_of(response, 400, "Request_BadRequest")


def test_synced_users_are_changed_in_ad_not_in_graph(graph_lab: GraphLab) -> None:
    henry = graph_lab.user_id("henry.moreau", "lab")
    client = graph_lab.client("lab")
    for change in ({"passwordProfile": {"password": GOOD_PASSWORD}}, {"accountEnabled": False}):
        message = error_of(client.patch(f"/users/{henry}", json=change), 400, "Request_BadRequest")
        assert "on-premises mastered Directory Sync objects" in message
    revoked = client.post(f"/users/{henry}/revokeSignInSessions")
    assert revoked.status_code == 200
    assert revoked.json()["value"] is True


@pytest.mark.parametrize("alias", ["patti.fernandez", "lee.gu"])
def test_admins_need_a_privileged_app(graph_lab: GraphLab, alias: str) -> None:
    """patti is Global Administrator; lee is User Administrator through IT Admins."""
    user = graph_lab.user_id(alias)
    change = {"passwordProfile": {"password": GOOD_PASSWORD}}
    response = graph_lab.client().patch(f"/users/{user}", json=change)
    assert error_of(response, 403, "Authorization_RequestDenied") == (
        "Insufficient privileges to complete the operation."
    )
    graph_lab.tenant().apps[graph_lab.credentials["fabrikam"].client_id].privileged = True
    assert graph_lab.client().patch(f"/users/{user}", json=change).status_code == 204


def test_revoke_sign_in_sessions_moves_the_valid_from_time(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    megan = graph_lab.user_id("megan.bowen")
    before = client.get(f"/users/{megan}?$select=signInSessionsValidFromDateTime").json()
    response = client.post(f"/users/{megan}/revokeSignInSessions")
    assert response.json() == {
        "@odata.context": f"{graph_lab.simulator.graph_url}/$metadata#Edm.Boolean",
        "value": True,
    }
    after = client.get(f"/users/{megan}?$select=signInSessionsValidFromDateTime").json()
    assert after["signInSessionsValidFromDateTime"] >= before["signInSessionsValidFromDateTime"]
    assert graph_lab.tenant().users[megan].sign_in_sessions_valid_from is not None
