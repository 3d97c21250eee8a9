"""One JSON error shape for every failure: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from runner_api.auth.errors import (
    AuthenticationError,
    LoginUnavailableError,
    PermissionDeniedError,
    RateLimitedError,
)
from runner_api.errors import (
    ConfigurationError,
    ConflictError,
    ExecutorError,
    FixlineError,
    InvalidRequestError,
    NotFoundError,
    RefusedError,
)
from runner_api.reveals.service import RevealGoneError

log = logging.getLogger(__name__)

_STATUS: list[tuple[type[FixlineError], int]] = [
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (RateLimitedError, 429),
    (NotFoundError, 404),
    (InvalidRequestError, 422),
    (RefusedError, 403),
    (ConflictError, 409),
    (ConfigurationError, 503),
    (LoginUnavailableError, 503),
    # An outside system failed (directory unreachable, ...): the gateway's fault, not ours.
    (ExecutorError, 502),
    (RevealGoneError, 410),
]


def _respond(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(exc: FixlineError) -> int:
    """The HTTP status of a domain error (500 when none is mapped)."""
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)


def body_of(exc: FixlineError) -> dict[str, Any]:
    """The one error shape, for answers kept and replayed (webhook deliveries)."""
    return {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}


def install_error_handlers(
    app: FastAPI, on_denial: Callable[[Request, FixlineError], None] | None = None
) -> None:
    """Map the error tree (and FastAPI's own errors) to HTTP answers; `on_denial` audits
    errors marked as scope denials (run in the thread pool, before the answer)."""

    @app.exception_handler(FixlineError)
    async def _fixline(request: Request, exc: FixlineError) -> JSONResponse:
        if exc.denial is not None and on_denial is not None:
            await run_in_threadpool(on_denial, request, exc)
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, RateLimitedError):
            headers = {"Retry-After": str(exc.retry_after_s)}
        return _respond(status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(error.get("loc", [])), "msg": error.get("msg"), "type": error.get("type")}
            for error in exc.errors()
        ]
        return _respond(422, "invalid_request", "the request is invalid", {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error"
        )
        return _respond(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error: %s", type(exc).__name__)
        return _respond(500, "internal", "internal error; it was logged")
