"""The services of an app, by type: a route depends on the one it uses (`service(RunService)`).

The app factory registers what it built; a route asks for a type and gets that instance. A
route can then do only what its service offers, and a test can register a service of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Depends, Request

from runner_api.errors import ConfigurationError

T = TypeVar("T")


class Services:
    """One instance per type; looked up on every request, so kept in a plain dict."""

    def __init__(self, *services: object) -> None:
        self._by_type: dict[type[Any], object] = {type(s): s for s in services}

    def get(self, kind: type[T]) -> T:
        found = self._by_type.get(kind)
        if not isinstance(found, kind):
            raise ConfigurationError(f"this process serves no {kind.__name__}")
        return found


def services_of(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def _provider(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    # Async: FastAPI runs a sync dependency in the thread pool, a hop on every request.
    async def provide(request: Request) -> T:
        return services_of(request).get(kind)

    provide.__name__ = f"provide_{kind.__name__}"
    return provide


def service(kind: type[T]) -> Any:
    """A dependency giving the app's instance of `kind` (use in Annotated[kind, ...])."""
    return Depends(_provider(kind))
