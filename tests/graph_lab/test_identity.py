"""The identity platform half of the simulator, driven by msal 1.39's real confidential client."""

from __future__ import annotations

import ssl
import time
import uuid

import httpx
import jwt
import pytest

from lab.graph import make_app_credential
from tests.plugins.graph_lab import GRAPH_SCOPE, GraphLab, msal_session


def token_form(lab: GraphLab, customer: str = "fabrikam", **claims: object) -> dict[str, str]:
    """A client-credentials form as msal sends it, with claims of the assertion overridden."""
    credential = lab.credentials[customer]
    endpoint = f"{lab.simulator.authority(credential.tenant_id)}/oauth2/v2.0/token"
    now = int(time.time())
    payload = {
        "aud": endpoint,
        "iss": credential.client_id,
        "sub": credential.client_id,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    x5t = jwt.utils.base64url_encode(bytes.fromhex(credential.thumbprint)).decode()
    assertion = jwt.encode(
        payload, credential.private_key_pem, algorithm="RS256", headers={"x5t": x5t}
    )
    return {
        "grant_type": "client_credentials",
        "client_id": credential.client_id,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
        "scope": GRAPH_SCOPE[0],
    }


def post_token(lab: GraphLab, form: dict[str, str], tenant: str | None = None) -> httpx.Response:
    tenant = tenant or lab.credentials["fabrikam"].tenant_id
    context = ssl.create_default_context(cafile=str(lab.simulator.ca_path))
    with httpx.Client(verify=context) as client:
        return client.post(f"{lab.simulator.authority(tenant)}/oauth2/v2.0/token", data=form)


def assert_aadsts(response: httpx.Response, status: int, error: str, code: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert {"timestamp", "trace_id", "correlation_id"} <= body.keys()


def test_msal_gets_a_token_and_then_serves_it_from_its_cache(graph_lab: GraphLab) -> None:
    app = graph_lab.msal()
    first = app.acquire_token_for_client(GRAPH_SCOPE)
    assert first["token_type"] == "Bearer"
    assert first["token_source"] == "identity_provider"
    assert app.acquire_token_for_client(GRAPH_SCOPE)["token_source"] == "cache"
    paths = [r.path for r in graph_lab.simulator.requests]
    tenant = graph_lab.credentials["fabrikam"].tenant_id
    assert paths == [
        f"/{tenant}/v2.0/.well-known/openid-configuration",
        f"/{tenant}/oauth2/v2.0/token",
    ]
    me = graph_lab.client(token=first["access_token"]).get("/users?$top=1")
    assert me.status_code == 200


def test_msal_with_the_public_certificate_signs_ps256_with_x5t_s256(graph_lab: GraphLab) -> None:
    credential = graph_lab.credentials["lab"]
    app = graph_lab.msal(
        "lab",
        private_key=credential.private_key_pem,
        public_certificate=credential.certificate_pem,
    )
    assert "access_token" in app.acquire_token_for_client(GRAPH_SCOPE)


def test_wrong_certificate_is_refused_with_aadsts700027(graph_lab: GraphLab) -> None:
    real = graph_lab.credentials["fabrikam"]
    other = make_app_credential(real.tenant_id, real.client_id, "look-alike")
    result = graph_lab.msal(credential=other).acquire_token_for_client(GRAPH_SCOPE)
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700027]
    assert other.thumbprint.upper() in result["error_description"]


def test_unknown_tenant_fails_msal_discovery_and_the_token_endpoint(graph_lab: GraphLab) -> None:
    credential = graph_lab.credentials["fabrikam"]
    unknown = str(uuid.uuid4())
    with pytest.raises(ValueError, match="Unable to get authority configuration"):
        graph_lab.msal(credential=make_app_credential(unknown, credential.client_id, "x"))
    response = post_token(graph_lab, token_form(graph_lab), tenant=unknown)
    assert_aadsts(response, 400, "invalid_tenant", 90002)


def test_discovery_answers_for_the_tenant_domain_too(graph_lab: GraphLab) -> None:
    url = f"{graph_lab.simulator.url}/fabrikam.example/v2.0/.well-known/openid-configuration"
    with msal_session(graph_lab.simulator) as session:
        document = session.get(url, timeout=5).json()
    tenant = graph_lab.credentials["fabrikam"].tenant_id
    assert document["token_endpoint"].endswith(f"/{tenant}/oauth2/v2.0/token")
    assert document["issuer"] == f"{graph_lab.simulator.url}/{tenant}/v2.0"


def test_a_tenant_refuses_another_tenants_app(graph_lab: GraphLab) -> None:
    response = post_token(
        graph_lab, token_form(graph_lab, "lab"), graph_lab.credentials["fabrikam"].tenant_id
    )
    assert_aadsts(response, 400, "unauthorized_client", 700016)


@pytest.mark.parametrize(
    ("claims", "status", "error", "code"),
    [
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4200}, 401,
         "invalid_client", 700024),
        ({"aud": "https://login.microsoftonline.com/x/oauth2/v2.0/token"}, 401,
         "invalid_client", 700023),
        ({"iss": str(uuid.UUID(int=1)), "sub": str(uuid.UUID(int=1))}, 401,
         "invalid_client", 700021),
    ],
    ids=["expired", "wrong-audience", "wrong-issuer"],
)  # fmt: skip
def test_bad_assertions_are_refused(
    graph_lab: GraphLab, claims: dict[str, object], status: int, error: str, code: int
) -> None:
    assert_aadsts(post_token(graph_lab, token_form(graph_lab, **claims)), status, error, code)


def test_scope_without_default_and_other_resources_are_refused(graph_lab: GraphLab) -> None:
    form = token_form(graph_lab)
    form["scope"] = "https://graph.microsoft.com/User.Read.All"
    assert_aadsts(post_token(graph_lab, form), 400, "invalid_scope", 1002012)
    form["scope"] = "https://management.azure.com/.default"
    assert_aadsts(post_token(graph_lab, form), 400, "invalid_resource", 500011)


def test_a_secret_instead_of_an_assertion_is_refused(graph_lab: GraphLab) -> None:
    form = token_form(graph_lab)
    del form["client_assertion"]
    form["client_secret"] = "not-how-fixline-signs-in"
    assert_aadsts(post_token(graph_lab, form), 401, "invalid_client", 7000218)


def test_graph_refuses_calls_without_a_valid_token(graph_lab: GraphLab) -> None:
    foreign = jwt.encode({"tid": "x"}, "a-secret-of-another-simulator-32b", algorithm="HS256")
    for token in ("", "not-a-jwt", foreign):
        response = graph_lab.client(token="unused").get(
            "/users", headers={"Authorization": f"Bearer {token}".strip()}
        )
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "InvalidAuthenticationToken"
        assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_a_token_reaches_only_its_own_tenants_objects(graph_lab: GraphLab) -> None:
    fabrikam_user = graph_lab.user_id("adele.vance")
    lab_client = graph_lab.client("lab")
    response = lab_client.get(f"/users/{fabrikam_user}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "Request_ResourceNotFound"
    assert lab_client.get("/users/adele.vance@fabrikam.example").status_code == 404
    assert graph_lab.client("fabrikam").get(f"/users/{fabrikam_user}").status_code == 200
