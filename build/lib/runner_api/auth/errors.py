"""Authentication (401) and authorization (403) failures."""

from __future__ import annotations

from runner_api.errors import FixlineError


class AuthenticationError(FixlineError):
    """No valid credentials: answered 401."""

    code = "unauthenticated"


class PermissionDeniedError(FixlineError):
    """Valid credentials without the right: answered 403 and audited."""

    code = "forbidden"


class RateLimitedError(FixlineError):
    """Too many requests of one kind: answered 429 with Retry-After."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int, **details: object) -> None:
        super().__init__(message, retry_after_s=retry_after_s, **details)
        self.retry_after_s = retry_after_s


class LoginUnavailableError(FixlineError):
    """The login directory is down, misconfigured or not configured: answered 503."""

    code = "login_unavailable"
