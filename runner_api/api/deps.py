"""FastAPI dependencies: the Core of the app and who is calling."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from runner_api.core import Core
from runner_api.errors import FixlineError

_bearer = HTTPBearer(auto_error=False, description="API token (`make demo` prints one).")


class AuthenticationError(FixlineError):
    code = "unauthenticated"


def get_core(request: Request) -> Core:
    core: Core = request.app.state.core
    return core


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's name. Until per-user login exists, one bootstrap token stands for admin."""
    core = get_core(request)
    expected = core.settings.bootstrap_token
    if expected is None:
        return "anonymous"
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise AuthenticationError("a valid `Authorization: Bearer <token>` header is required")
    return core.settings.bootstrap_user


CoreDep = Annotated[Core, Depends(get_core)]
CurrentUser = Annotated[str, Depends(current_user)]
