"""The identity platform half of the simulator: discovery, client-credential tokens, bearer checks.

msal 1.39 GETs `{authority}/v2.0/.well-known/openid-configuration`, then POSTs the
client-credentials form with a client assertion: a JWT signed with the app certificate's key
(RS256 + x5t when given a thumbprint, PS256 + x5t#S256 when given the public certificate),
aud = token endpoint, iss = sub = client id, jti, iat, exp. Refusals carry the AADSTS codes
Entra ID answers with. Access tokens are JWTs signed with a per-simulator secret, bound to
one tenant and app; the Graph routes accept no other.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass

import jwt
from cryptography import x509

from lab.graph.errors import AadError, GraphError
from lab.graph.state import App, GraphState, Tenant

GRAPH_RESOURCES = ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000")
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME_S = 3599
# Entra ID allows some clock skew on assertions.
ASSERTION_LEEWAY_S = 300


def discovery(state: GraphState, tenant_key: str, base_url: str) -> dict[str, object]:
    """The v2.0 OpenID configuration of one tenant (endpoints name its id, as Entra does)."""
    tenant = _tenant(state, tenant_key)
    root = f"{base_url}/{tenant.id}"
    return {
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{base_url}/{tenant.id}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{root}/v2.0",
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }


@dataclass(frozen=True)
class Caller:
    """Who a Graph call comes from: the tenant and app its token was issued to."""

    tenant: Tenant
    app: App


def issue_token(
    state: GraphState, tenant_key: str, form: dict[str, str], base_url: str, secret: bytes
) -> dict[str, object]:
    """Check a client-credentials request and answer with an access token (or AadError)."""
    if form.get("grant_type") != "client_credentials":
        raise AadError(
            400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
        )
    client_id = form.get("client_id", "")
    if not client_id:
        raise AadError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        )
    tenant = _tenant(state, tenant_key)
    app = tenant.apps.get(client_id.lower())
    if app is None:
        raise AadError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant.display_name}'. This can happen if the application has not been "
            "installed by the administrator of the tenant or consented to by any user in the "
            "tenant. You may have sent your authentication request to the wrong tenant.",
        )
    assertion = form.get("client_assertion", "")
    if form.get("client_assertion_type") != JWT_BEARER or not assertion:
        raise AadError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        )
    audiences = [f"{base_url}/{key}/oauth2/v2.0/token" for key in (tenant_key, tenant.id)]
    _check_assertion(app, assertion, audiences)
    _check_scope(form.get("scope", ""), tenant)
    now = int(time.time())
    claims = {
        "aud": GRAPH_RESOURCES[0],
        "iss": f"https://sts.windows.net/{tenant.id}/",
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_LIFETIME_S,
        "tid": tenant.id,
        "appid": app.client_id,
        "idtyp": "app",
        "roles": sorted(app.permissions),
    }
    return {
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_S,
        "ext_expires_in": TOKEN_LIFETIME_S,
        "access_token": jwt.encode(claims, secret, algorithm="HS256"),
    }


def check_bearer(state: GraphState, authorization: str | None, secret: bytes) -> Caller:
    """The tenant and app an `Authorization: Bearer` header proves; GraphError 401 otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
    try:
        claims = jwt.decode(
            token.strip(), secret, algorithms=["HS256"], audience=list(GRAPH_RESOURCES)
        )
    except jwt.ExpiredSignatureError as exc:
        raise GraphError(
            401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
        ) from exc
    except jwt.InvalidTokenError as exc:
        raise GraphError(
            401, "InvalidAuthenticationToken", "Access token validation failure."
        ) from exc
    tenant = state.tenants.get(str(claims.get("tid", "")))
    app = tenant.apps.get(str(claims.get("appid", ""))) if tenant else None
    if tenant is None or app is None:
        raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure.")
    return Caller(tenant, app)


def _tenant(state: GraphState, key: str) -> Tenant:
    tenant = state.tenant(key)
    if tenant is None:
        raise AadError(
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{key}' not found. Check to make sure you have the correct tenant ID and "
            "are signing into the correct cloud. Check with your subscription administrator, "
            "this may happen if there are no active subscriptions for the tenant.",
        )
    return tenant


def _check_assertion(app: App, assertion: str, audiences: list[str]) -> None:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.InvalidTokenError as exc:
        raise AadError(400, "invalid_request", 50027, "JWT token is invalid or malformed.") from exc
    used = _thumbprint(header)
    if used is None or used not in (app.sha1, app.sha256):
        shown = (used or "").upper()
        raise AadError(
            401,
            "invalid_client",
            700027,
            "Client assertion contains an invalid signature. [Reason - The key was not found., "
            f"Thumbprint of key used by client: '{shown}', Please visit the Azure Portal, "
            "Graph Explorer or directly use MS Graph to see configured keys for app Id "
            f"'{app.client_id}'.]",
        )
    key = x509.load_pem_x509_certificate(app.certificate_pem.encode()).public_key()
    try:
        claims = jwt.decode(
            assertion,
            key,  # type: ignore[arg-type]  # an RSA certificate's public key
            algorithms=["RS256", "PS256"],
            audience=audiences,
            leeway=ASSERTION_LEEWAY_S,
            options={"require": ["aud", "iss", "sub", "exp", "jti"]},
        )
    except jwt.InvalidSignatureError as exc:
        raise AadError(
            401,
            "invalid_client",
            700027,
            "Client assertion contains an invalid signature. [Reason - The provided signature "
            "value did not match the expected signature value.]",
        ) from exc
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as exc:
        raise AadError(
            401,
            "invalid_client",
            700024,
            f"Client assertion is not within its valid time range. ({exc})",
        ) from exc
    except jwt.InvalidAudienceError as exc:
        raise AadError(
            401,
            "invalid_client",
            700023,
            "Client assertion audience claim does not match Realm issuer.",
        ) from exc
    except jwt.InvalidTokenError as exc:
        raise AadError(400, "invalid_request", 50027, "JWT token is invalid or malformed.") from exc
    if str(claims["iss"]).lower() != app.client_id or str(claims["sub"]).lower() != app.client_id:
        raise AadError(
            401,
            "invalid_client",
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        )


def _thumbprint(header: dict[str, object]) -> str | None:
    """The certificate fingerprint (hex) the assertion names: x5t#S256 first, else x5t."""
    value = header.get("x5t#S256") or header.get("x5t")
    if not isinstance(value, str):
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()
    except (binascii.Error, ValueError):
        return None


def _check_scope(scope: str, tenant: Tenant) -> None:
    scopes = scope.split()
    for item in scopes:
        resource, _, permission = item.rpartition("/")
        if permission != ".default":
            raise AadError(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {item} is not valid. Client credential flows "
                "must have a scope value with /.default suffixed to the resource identifier "
                "(application ID URI).",
            )
        if resource.lower() not in GRAPH_RESOURCES:
            raise AadError(
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {resource} was not found in the tenant named "
                f"{tenant.display_name}. This can happen if the application has not been "
                "installed by the administrator of the tenant or consented to by any user in "
                "the tenant. You might have sent your authentication request to the wrong "
                "tenant.",
            )
    if not scopes:
        raise AadError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        )
