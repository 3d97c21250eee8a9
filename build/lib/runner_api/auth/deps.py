"""FastAPI dependencies of authentication: who is calling, and what they may do.

Every route but the public allowlist (PUBLIC_PATHS) and the HMAC-signed webhooks
(SIGNED_PATHS) depends on `require(permission)`; a route-inventory test holds that line.
Credentials come as `Authorization: Bearer <token>` (an API token, or the bootstrap token
of settings) or as the web session cookie.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from runner_api.audit.sink import AuditEvent
from runner_api.auth.denials import DenialAudit
from runner_api.auth.errors import AuthenticationError, PermissionDeniedError
from runner_api.auth.forms import form_fields
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.auth.sessions import (
    COOKIE_NAME,
    CSRF_FIELD,
    CSRF_HEADER,
    UNSAFE_METHODS,
    SessionStore,
)
from runner_api.auth.tokens import TokenStore
from runner_api.errors import FixlineError
from runner_api.routing.services import services_of

log = logging.getLogger(__name__)
# Actors that name nobody: their denials are counted per client address instead.
_NOBODY = frozenset({"unknown", "anonymous"})

# Reachable without credentials: liveness for load balancers, the login itself, the API
# reference page and its scripts (runner_api/api/docs.py; /openapi.json is public too).
# The web page's login form (/ui/login) is public too; so are its stylesheets and scripts
# (the /ui/static mount, not a route: runner_api/web/install.py), which hold no data.
PUBLIC_PATHS = frozenset({"/healthz", "/auth/login", "/docs", "/docs/assets/{name}", "/ui/login"})
# Any signed-in caller, whatever the role: about one's own session only.
SELF_SERVICE_PATHS = frozenset({"/auth/me", "/auth/logout"})
# Authenticated by the sender's HMAC signature instead of a bearer token or session: only
# routes that depend on webhooks.router.verified_delivery may be listed here (the route
# inventory test checks it). Runs they start are requested by "webhook:<source>".
SIGNED_PATHS = frozenset({"/webhooks/{source}"})

_bearer = HTTPBearer(
    auto_error=False,
    description="An API token (`fixline tokens create`), or the bootstrap token of settings.",
)
_cookie = APIKeyCookie(
    name=COOKIE_NAME, auto_error=False, description="The web page's session (POST /auth/login)."
)


def client_address(request: Request) -> str | None:
    """The caller's address: the peer's, or the one a trusted proxy forwarded (app.py)."""
    return request.client.host if request.client else None


def _audit_denial(
    denials: DenialAudit, kind: str, actor: str, request: Request, **data: object
) -> None:
    """Authentication and authorization failures are audited (a bounded number per caller a
    minute: auth/denials.py), and never block the answer."""
    client = client_address(request)
    event = AuditEvent(
        type=kind,
        actor=actor,
        outcome="denied",
        data={"method": request.method, "path": request.url.path, "client": client} | data,
    )
    # An unknown caller is told apart by its address; a signed-in one by its name.
    denials.record(actor if actor not in _NOBODY else f"address:{client}", event)


def audit_marked_denial(request: Request, exc: FixlineError) -> None:
    """Audit an error marked as a scope denial (auth/authorize.py `denial`), e.g. the 404
    of another customer's run; the answer itself is not changed."""
    principal: Principal | None = getattr(request.state, "principal", None)
    origin = request.headers.get("origin")
    _audit_denial(
        services_of(request).get(DenialAudit),
        "auth.denied",
        principal.name if principal is not None else "anonymous",
        request,
        reason=exc.denial,
        code=exc.code,
        # Caller input: cut short.
        **({"origin": origin[:200]} if origin is not None else {}),
    )


async def _form_csrf_token(request: Request) -> str | None:
    """The csrf_token field of an HTML form post (the header wins when both are sent)."""
    if (
        request.method.upper() not in UNSAFE_METHODS
        or CSRF_HEADER in request.headers
        or COOKIE_NAME not in request.cookies
    ):
        return None
    fields = await form_fields(request)
    return fields.get(CSRF_FIELD) if fields else None


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session_token: Annotated[str | None, Depends(_cookie)],
    form_csrf_token: Annotated[str | None, Depends(_form_csrf_token)],
) -> Principal:
    """The caller, from a bearer token or the session cookie; AuthenticationError (401).

    A cookie-authenticated unsafe request (POST, PUT, PATCH, DELETE) also needs the
    session's CSRF token, as header X-CSRF-Token or form field csrf_token (else 403).
    """
    # Async, with only the store lookups in the thread pool (a sync dependency would cost
    # a second thread hop on every request). The bootstrap token is a stored token too.
    services = services_of(request)
    try:
        if credentials is not None:
            tokens = services.get(TokenStore)
            principal = await run_in_threadpool(tokens.principal, credentials.credentials)
            # For the error handler: a denial further on is audited under this caller.
            request.state.principal = principal
            return principal
        if session_token:
            csrf = request.headers.get(CSRF_HEADER) or form_csrf_token
            principal = await run_in_threadpool(
                services.get(SessionStore).principal, session_token, request.method, csrf
            )
            request.state.principal = principal
            return principal
    except AuthenticationError as exc:
        await run_in_threadpool(
            _audit_denial,
            services.get(DenialAudit),
            "auth.failed",
            "unknown",
            request,
            reason=exc.message,
        )
        raise
    raise AuthenticationError(
        "sign in, or send `Authorization: Bearer <token>` (fixline tokens create)"
    )


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and checks one permission of the role table."""

    async def dependency(
        request: Request, principal: Annotated[Principal, Depends(authenticate)]
    ) -> Principal:
        if not principal.has(permission):
            await run_in_threadpool(
                _audit_denial,
                services_of(request).get(DenialAudit),
                "auth.denied",
                principal.name,
                request,
                permission=permission.value,
                roles=sorted(principal.roles),
            )
            raise PermissionDeniedError(
                f"your role may not do this ({permission.value})", permission=permission.value
            )
        return principal

    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency
