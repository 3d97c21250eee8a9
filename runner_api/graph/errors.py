"""Graph errors, and the one place Graph's and the token endpoint's answers become them.

ExecutorError
└── GraphError
    ├── GraphUnavailableError       unreachable, slower than timeout_s, no time left, 5xx
    │   └── GraphOutcomeUnknownError  a write was sent and its answer lost: it may have applied
    ├── GraphAuthError              the app's sign-in was refused (AADSTS...) or its token (401)
    ├── GraphRefusedError           Graph refused the operation (403, or 400 with its reason)
    ├── GraphThrottledError         429/503 with a Retry-After beyond the run's budget
    ├── GraphAmbiguousError         two or more groups carry the display name asked for
    └── GraphOperationError         any other error answer (status and Graph's code kept)
NotFoundError
└── GraphNotFoundError              no such user, group or method (404)

Graph's error body is `{"error": {"code", "message", "innerError": {"request-id", ...}}}`:
code and message are kept as Graph wrote them; no request body (a password, a pass) is
ever part of an error.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from runner_api.errors import ExecutorError, NotFoundError

# AADSTS codes that mean the customer's app registration or its credential is wrong.
_SIGN_IN_REASONS = {
    "700016": "no such application (client id) in the tenant",
    "90002": "no such tenant",
    "900023": "the tenant id is not valid",
    "700027": "the certificate is not the one registered for the app (signature invalid)",
    "700024": "the client assertion is outside its valid time range (clock skew?)",
    "7000215": "a client secret was sent where a certificate is expected",
    "7000222": "the app's certificate or secret has expired",
    "500011": "Microsoft Graph is not available to this tenant",
    "65001": "the app's permissions were never granted (admin consent) in this tenant",
}
_AADSTS = re.compile(r"AADSTS(\d+)")
_TRACE = re.compile(r"\s*(?:\r?\n|Trace ID:)")


class GraphError(ExecutorError):
    code = "graph"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        graph_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, graph_code=graph_code, request_id=request_id)
        self.status = status
        self.graph_code = graph_code
        self.request_id = request_id


class GraphUnavailableError(GraphError):
    code = "graph_unavailable"


class GraphOutcomeUnknownError(GraphUnavailableError):
    code = "graph_outcome_unknown"


class GraphAuthError(GraphError):
    code = "graph_auth_failed"


class GraphRefusedError(GraphError):
    code = "graph_refused"


class GraphThrottledError(GraphError):
    code = "graph_throttled"
    # What Graph asked to wait, set where it is raised (None: it said nothing).
    retry_after_s: float | None = None


class GraphAmbiguousError(GraphError):
    code = "graph_ambiguous"


class GraphOperationError(GraphError):
    code = "graph_operation"


class GraphNotFoundError(NotFoundError):
    # Graph's status, code and request-id are in .details, as answer_error passes them.
    code = "graph_object_not_found"


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        parsed = json.loads(response.text)
    except ValueError:
        return {}
    error = parsed.get("error") if isinstance(parsed, dict) else None
    return error if isinstance(error, dict) else {}


def request_id(response: httpx.Response) -> str | None:
    """The request-id Graph gave the call (header first, then the error body's innerError)."""
    found = response.headers.get("request-id")
    if found:
        return str(found)
    inner = _body(response).get("innerError") or {}
    value = inner.get("request-id") if isinstance(inner, dict) else None
    return str(value) if value else None


def answer_error(response: httpx.Response, operation: str) -> GraphError | GraphNotFoundError:
    """The error for a Graph error answer to `operation` (no Retry-After handling here)."""
    body = _body(response)
    code = str(body.get("code") or f"HTTP {response.status_code}")
    message = str(body.get("message") or response.reason_phrase or "no message").strip()
    rid = request_id(response)
    status = response.status_code
    said = f"{code}: {message} (HTTP {status}, request-id {rid or 'none'})"
    keep: dict[str, Any] = {"status": status, "graph_code": code, "request_id": rid}
    if status == 404:
        return GraphNotFoundError(
            f"{operation}: not found: {said}", status=status, graph_code=code, request_id=rid
        )
    if status == 401:
        return GraphAuthError(f"{operation}: Graph did not accept the app's token: {said}", **keep)
    if status in (400, 403):
        return GraphRefusedError(f"{operation}: Graph refused it: {said}", **keep)
    if status >= 500:
        return GraphUnavailableError(f"{operation}: Graph failed: {said}", **keep)
    return GraphOperationError(f"{operation}: {said}", **keep)


def sign_in_error(customer: str, answer: dict[str, Any]) -> GraphAuthError:
    """The error for msal's answer without a token (the token endpoint's error)."""
    description = str(answer.get("error_description") or "").strip()
    codes = [str(code) for code in answer.get("error_codes") or ()]
    found = _AADSTS.search(description)
    if found and found.group(1) not in codes:
        codes.insert(0, found.group(1))
    reason = next((_SIGN_IN_REASONS[c] for c in codes if c in _SIGN_IN_REASONS), None)
    # Up to "Trace ID:": the rest is trace and correlation ids, and a timestamp.
    said = _TRACE.split(description, maxsplit=1)[0].strip() or str(answer.get("error") or "")
    aadsts = f"AADSTS{codes[0]}" if codes else str(answer.get("error") or "error")
    return GraphAuthError(
        f"Entra ID refused the sign-in of customer {customer!r}'s app ({aadsts}): "
        f"{reason or 'see the message'}; check the tenant id, client id and certificate "
        f"of its graph credential. Entra ID said: {said}",
        graph_code=aadsts,
        request_id=str(answer.get("correlation_id") or "") or None,
    )
