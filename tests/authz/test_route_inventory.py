"""Every route but the public allowlist authenticates its caller and checks a permission."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, _iter_included_route_candidates
from starlette.routing import Mount

from runner_api.app import create_app
from runner_api.auth.deps import PUBLIC_PATHS, SELF_SERVICE_PATHS, SIGNED_PATHS, authenticate
from runner_api.core import Core
from runner_api.web.install import STATIC_PATH
from runner_api.web.pages import LOGIN_PATH, PAGE_PREFIX
from runner_api.webhooks.router import verified_delivery


def _calls(dependant: Dependant) -> set[object]:
    found: set[object] = set()
    for sub in dependant.dependencies:
        found.add(sub.call)
        found |= _calls(sub)
    return found


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every API route with its full path. FastAPI 0.165 keeps included routers as wrappers
    in app.routes; this is the flattening its own OpenAPI builder uses."""
    routes = [r for r in _iter_included_route_candidates(app.routes) if isinstance(r, APIRoute)]
    assert len(routes) > 20, "route flattening found too few routes: check the FastAPI version"
    return routes


def test_every_route_requires_an_authenticated_permission(core: Core) -> None:
    app = create_app(core.settings, core)
    unguarded = []
    for route in api_routes(app):
        if route.path in PUBLIC_PATHS:
            continue
        calls = _calls(route.dependant)
        if route.path in SIGNED_PATHS and verified_delivery in calls:
            continue  # authenticated by the sender's HMAC signature instead
        has_permission = any(getattr(call, "__name__", "").startswith("require_") for call in calls)
        if authenticate not in calls or not (has_permission or route.path in SELF_SERVICE_PATHS):
            unguarded.append(f"{sorted(route.methods)} {route.path}")
    assert unguarded == []


def test_public_paths_are_few_and_change_nothing(core: Core) -> None:
    app = create_app(core.settings, core)
    public = [
        (route.path, route.methods) for route in api_routes(app) if route.path in PUBLIC_PATHS
    ]
    for path, methods in public:
        # The login is the one public POST: it creates a session, nothing else.
        assert methods <= {"GET", "HEAD"} or path == "/auth/login", path


def test_signed_paths_all_verify_the_signature(core: Core) -> None:
    """The signed allowlist cannot be used to slip in a route without any check."""
    app = create_app(core.settings, core)
    signed = [route for route in api_routes(app) if route.path in SIGNED_PATHS]
    assert {route.path for route in signed} == SIGNED_PATHS
    for route in signed:
        assert verified_delivery in _calls(route.dependant), route.path
        assert authenticate not in _calls(route.dependant), route.path


def test_web_pages_are_covered(core: Core) -> None:
    """The web page's routes are in the inventory above like the API's: each needs a
    permission but the login form; the only mount is the page's static assets."""
    app = create_app(core.settings, core)
    pages = [r for r in api_routes(app) if r.path.startswith(PAGE_PREFIX + "/")]
    assert len(pages) >= 8
    assert [r.path for r in pages if r.path in PUBLIC_PATHS] == [LOGIN_PATH]
    for route in pages:
        assert route.methods <= {"GET", "HEAD"}, route.path
        assert not route.include_in_schema, route.path
    assert [r.path for r in app.routes if isinstance(r, Mount)] == [STATIC_PATH]
