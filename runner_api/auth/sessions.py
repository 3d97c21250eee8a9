"""Agents' web sessions (server-side, cookie-bound, CSRF-checked)."""

from __future__ import annotations

from fastapi import Request

from runner_api.auth.errors import AuthenticationError
from runner_api.auth.principal import Principal

COOKIE_NAME = "fixline_session"


class SessionStore:
    """Resolves a session cookie to its Principal."""

    def principal(self, token: str, request: Request) -> Principal:
        raise AuthenticationError("web sessions are not enabled on this server")
