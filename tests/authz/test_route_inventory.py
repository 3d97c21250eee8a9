"""Every route but the public allowlist authenticates its caller and checks a permission."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, _iter_included_route_candidates

from runner_api.api.deps import PUBLIC_PATHS, SELF_SERVICE_PATHS, authenticate
from runner_api.app import create_app
from runner_api.core import Core


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
