"""Authentication methods: list, delete (default last), Temporary Access Pass, default method."""

from __future__ import annotations

from tests.graph_lab.test_users import error_of
from tests.plugins.graph_lab import GraphLab

PASSWORD_METHOD = "28c10230-6103-485e-b985-444c60001490"


def methods_of(lab: GraphLab, alias: str, customer: str = "fabrikam") -> list[dict[str, object]]:
    user = lab.user_id(alias, customer)
    response = lab.client(customer).get(f"/users/{user}/authentication/methods")
    assert response.status_code == 200
    return list(response.json()["value"])


def default_of(lab: GraphLab, alias: str) -> str:
    url = f"/reports/authenticationMethods/userRegistrationDetails/{lab.user_id(alias)}"
    body = lab.client().get(url).json()
    return str(body["userPreferredMethodForSecondaryAuthentication"])


def kind_of(method: dict[str, object]) -> str:
    name = str(method["@odata.type"]).removeprefix("#microsoft.graph.")
    return name.removesuffix("AuthenticationMethod")


def test_list_methods_includes_the_password(graph_lab: GraphLab) -> None:
    kinds = [kind_of(m) for m in methods_of(graph_lab, "megan.bowen")]
    assert kinds == ["password", "microsoftAuthenticator", "phone", "fido2", "softwareOath",
                     "email"]  # fmt: skip
    assert methods_of(graph_lab, "megan.bowen")[0]["id"] == PASSWORD_METHOD


def test_mfa_reset_deletes_the_default_method_last(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    megan = graph_lab.user_id("megan.bowen")
    assert default_of(graph_lab, "megan.bowen") == "push"
    methods = {kind_of(m): str(m["id"]) for m in methods_of(graph_lab, "megan.bowen")}
    default = f"/users/{megan}/authentication/microsoftAuthenticatorMethods/{methods['microsoftAuthenticator']}"  # noqa: E501
    response = client.delete(default)
    assert error_of(response, 400, "badRequest").startswith("Cannot delete default method")
    assert response.json()["error"]["innerError"]["message"].startswith("Cannot delete default")
    for kind in ("phone", "fido2", "softwareOath", "email"):
        url = f"/users/{megan}/authentication/{kind}Methods/{methods[kind]}"
        assert client.delete(url).status_code == 204, kind
    assert client.delete(default).status_code == 204
    assert [kind_of(m) for m in methods_of(graph_lab, "megan.bowen")] == ["password"]
    assert default_of(graph_lab, "megan.bowen") == "none"


def test_password_method_and_unknown_methods(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    diego = graph_lab.user_id("diego.siciliani")
    error_of(
        client.delete(f"/users/{diego}/authentication/passwordMethods/{PASSWORD_METHOD}"),
        400,
        "badRequest",
    )
    error_of(
        client.delete(f"/users/{diego}/authentication/phoneMethods/no-such-id"),
        404,
        "Request_ResourceNotFound",
    )
    error_of(client.delete(f"/users/{diego}/authentication/shoeMethods/x"), 400, "BadRequest")


def test_a_lone_default_method_can_go(graph_lab: GraphLab) -> None:
    diego = graph_lab.user_id("diego.siciliani")
    assert default_of(graph_lab, "diego.siciliani") == "sms"
    phone = next(m for m in methods_of(graph_lab, "diego.siciliani") if kind_of(m) == "phone")
    url = f"/users/{diego}/authentication/phoneMethods/{phone['id']}"
    assert graph_lab.client().delete(url).status_code == 204


def test_methods_of_synced_users_are_changed_in_entra(graph_lab: GraphLab) -> None:
    henry = graph_lab.user_id("henry.moreau", "lab")
    app = next(
        m for m in methods_of(graph_lab, "henry.moreau", "lab") if m["id"] != PASSWORD_METHOD
    )
    url = f"/users/{henry}/authentication/microsoftAuthenticatorMethods/{app['id']}"
    assert graph_lab.client("lab").delete(url).status_code == 204


def test_temporary_access_pass_is_shown_once(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    adele = graph_lab.user_id("adele.vance")
    url = f"/users/{adele}/authentication/temporaryAccessPassMethods"
    response = client.post(url, json={"lifetimeInMinutes": 60, "isUsableOnce": True})
    assert response.status_code == 201
    created = response.json()
    assert created["@odata.type"] == "#microsoft.graph.temporaryAccessPassAuthenticationMethod"
    assert len(created["temporaryAccessPass"]) >= 8
    assert (created["lifetimeInMinutes"], created["isUsableOnce"], created["isUsable"]) == (
        60, True, True,
    )  # fmt: skip
    (listed,) = [m for m in methods_of(graph_lab, "adele.vance") if m["id"] == created["id"]]
    assert listed["temporaryAccessPass"] is None
    later = client.post(url, json={"startDateTime": "2099-01-01T00:00:00Z"}).json()
    assert later["methodUsabilityReason"] == "NotYetValid"
    taps = [m for m in methods_of(graph_lab, "adele.vance") if kind_of(m) == "temporaryAccessPass"]
    assert [m["id"] for m in taps] == [later["id"]]


def test_temporary_access_pass_refusals(graph_lab: GraphLab) -> None:
    client = graph_lab.client()
    adele = graph_lab.user_id("adele.vance")
    url = f"/users/{adele}/authentication/temporaryAccessPassMethods"
    error_of(client.post(url, json={"lifetimeInMinutes": 5}), 400, "badRequest")
    patti = graph_lab.user_id("patti.fernandez")
    response = client.post(f"/users/{patti}/authentication/temporaryAccessPassMethods", json={})
    error_of(response, 403, "Authorization_RequestDenied")
