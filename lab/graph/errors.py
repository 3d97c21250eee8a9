"""Refusals in Microsoft's shapes: Graph's `error` object and the identity platform's AADSTS body.

GraphError(status, code, message)   raised by routes; the server renders
    {"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}
AadError(status, error, code, text)  raised by the token endpoint; rendered as
    {"error", "error_description" ("AADSTSnnn: ..." + trace/correlation/timestamp lines),
     "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"}
"""

from __future__ import annotations

import datetime as dt
import uuid

# Messages Graph sends for the refusals the simulator makes (kept verbatim: clients match them).
NOT_FOUND = (
    "Resource '{}' does not exist or one of its queried reference-property objects are not present."
)
DENIED = "Insufficient privileges to complete the operation."
SYNCED = (
    "Unable to update the specified properties for on-premises mastered Directory Sync objects "
    "or objects currently undergoing migration."
)
COMPLEXITY = (
    "The specified password does not comply with password complexity requirements. "
    "Please provide a different password."
)
MAIL_ENABLED = "Cannot Update a mail-enabled security groups and or distribution list."
MEMBER_EXISTS = (
    "One or more added object references already exist for the following modified properties: "
    "'members'."
)
MEMBER_MISSING = (
    "One or more removed object references do not exist for the following modified properties: "
    "'members'."
)
DEFAULT_METHOD = (
    "Cannot delete default method with other methods configured. "
    "Please change default method before deletion."
)
# Exchange Online's refusals through Graph (its codes are Exchange's, not the directory's).
ACCESS_DENIED = "Access is denied. Check credentials and try again."
NO_MAILBOX = "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
INVALID_USER = "The requested user '{}' is invalid."
NOT_IN_STORE = "The specified object was not found in the store."
# Documented on Microsoft's pages (user-update-mailboxsettings) or seen in Graph's answers.
INVALID_TIME_ZONE = "Time Zone settings provided are invalid."
ZONE_NOT_SUPPORTED = (
    "A valid TimeZone value must be specified. The following TimeZone value is not supported: '{}'."
)
PROPERTY_VALIDATION = "At least one property failed validation."
SET_INVALID = "Set action is invalid for property."
# Not documented for Graph: the codes Graph shows for mailboxes are Exchange's own response
# codes (ErrorItemNotFound, ErrorAccessDenied, ErrorInvalidUser), so these refusals carry
# the code and text Exchange uses for the same condition.
OOF_DURATION = "The scheduled duration for sending automatic replies isn't valid."
BAD_RECIPIENTS = "At least one recipient isn't valid."
RULE_INVALID = "A validation error occurred while executing the rule operation."
PERMISSION_INVALID = "The permission settings were not valid."
DUPLICATE_USER = "Multiple permission entries were specified for the same user."
CANNOT_DELETE = "The object cannot be deleted."
SEARCH_NEEDS_EVENTUAL = (
    "Request with $search query parameter only works through MSGraph with a special request "
    "header: 'ConsistencyLevel: eventual'"
)


class GraphError(Exception):
    """A refusal a Graph route answers with."""

    def __init__(self, status: int, code: str, message: str, *, inner_message: bool = False):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        # The authentication-methods service repeats the message inside innerError.
        self.inner_message = inner_message

    def body(self, request_id: str, client_request_id: str) -> dict[str, object]:
        inner: dict[str, object] = {}
        if self.inner_message:
            inner["message"] = self.message
        inner.update(
            {
                "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id,
            }
        )
        return {"error": {"code": self.code, "message": self.message, "innerError": inner}}


def not_found(key: str) -> GraphError:
    return GraphError(404, "Request_ResourceNotFound", NOT_FOUND.format(key))


def denied() -> GraphError:
    return GraphError(403, "Authorization_RequestDenied", DENIED)


def exchange_denied() -> GraphError:
    """The mail service's 403 for a missing permission (not the directory's)."""
    return GraphError(403, "ErrorAccessDenied", ACCESS_DENIED)


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphError:
    return GraphError(400, code, message)


def no_segment(segment: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def unsupported_query(message: str) -> GraphError:
    return GraphError(400, "Request_UnsupportedQuery", message)


class AadError(Exception):
    """A refusal of the identity platform (discovery or token endpoint)."""

    def __init__(self, status: int, error: str, code: int, text: str) -> None:
        super().__init__(f"AADSTS{code}: {text}")
        self.status = status
        self.error = error
        self.code = code
        self.text = text

    def body(self, trace_id: str) -> dict[str, object]:
        now = dt.datetime.now(dt.UTC)
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        correlation = str(uuid.uuid4())
        description = (
            f"AADSTS{self.code}: {self.text} Trace ID: {trace_id} "
            f"Correlation ID: {correlation} Timestamp: {stamp}"
        )
        return {
            "error": self.error,
            "error_description": description,
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }
