"""Mailbox errors, and the one place exchangelib exceptions become them (by class, not text).

ExecutorError
└── MailboxError
    ├── MailboxUnreachableError        refused, dropped, or slower than timeout_s
    ├── MailboxAuthError               HTTP 401: the service account's login failed (no retry)
    ├── ImpersonationRefusedError      the service account may not impersonate that mailbox
    ├── MailboxAccessDeniedError       ErrorAccessDenied: no rights on that mailbox/folder
    ├── MailboxBusyError               ErrorServerBusy / throttled; .back_off_s from the server
    ├── MailboxConflictError           the folder changed meanwhile (change key); retry the run
    └── MailboxOperationError          any other EWS error (its code in the message)
RefusedError
└── MailboxRefusedError                a guardrail: refused before any request
    ├── OutsideCustomerError           an address outside the customer's accepted_domains
    ├── ExternalForwardingError        forwarding outside accepted_domains, not approved
    └── MailboxUnsupportedError        the customer's backend has no API for it (Graph: inbox
                                       permissions, delegates, some calendar levels)
NotFoundError
└── MailboxNotFoundError               ErrorNonExistentMailbox
"""

from __future__ import annotations

from exchangelib import errors as ews

from runner_api.errors import ExecutorError, NotFoundError, RefusedError


class MailboxError(ExecutorError):
    code = "mailbox"


class MailboxUnreachableError(MailboxError):
    code = "mailbox_unreachable"


class MailboxAuthError(MailboxError):
    code = "mailbox_auth_failed"


class ImpersonationRefusedError(MailboxError):
    code = "mailbox_impersonation_refused"


class MailboxAccessDeniedError(MailboxError):
    code = "mailbox_access_denied"


class MailboxBusyError(MailboxError):
    code = "mailbox_busy"

    def __init__(self, message: str, back_off_s: float | None) -> None:
        super().__init__(message, back_off_s=back_off_s)
        self.back_off_s = back_off_s


class MailboxConflictError(MailboxError):
    code = "mailbox_conflict"


class MailboxOperationError(MailboxError):
    code = "mailbox_operation"


class MailboxRefusedError(RefusedError):
    code = "mailbox_refused"


class OutsideCustomerError(MailboxRefusedError):
    code = "outside_customer"


class ExternalForwardingError(MailboxRefusedError):
    code = "external_forwarding"


class MailboxUnsupportedError(MailboxRefusedError):
    """A read or write the customer's backend has no API for; `reason` says which and what
    to use instead."""

    code = "mailbox_unsupported"

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused: {reason}; nothing was changed")
        self.reason = reason


class MailboxNotFoundError(NotFoundError):
    code = "mailbox_not_found"


def _timed_out(exc: BaseException) -> bool:
    # exchangelib turns a connection error into ErrorTimeoutExpired, and with a session pool
    # above one re-raises that as ErrorServerBusy("Reraised from ErrorTimeoutExpired"):
    # the cause tells an unreachable server from a busy one.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ews.ErrorTimeoutExpired):
            return True
        seen = seen.__context__
    return False


def translate(exc: Exception, url: str, mailbox: str, timeout_s: float) -> Exception:
    """The MailboxError for an exchangelib exception; other exceptions come back unchanged."""
    name = type(exc).__name__
    if _timed_out(exc):
        return MailboxUnreachableError(
            f"Exchange unreachable: no answer from {url} within {timeout_s:g} s "
            f"(connection refused, dropped or too slow)"
        )
    if isinstance(exc, ews.ErrorNonExistentMailbox):
        return MailboxNotFoundError(f"no mailbox {mailbox!r} in Exchange")
    if isinstance(exc, ews.ErrorImpersonateUserDenied | ews.ErrorImpersonationFailed):
        return ImpersonationRefusedError(
            f"Exchange refused to let the service account act as {mailbox!r} ({name}): it "
            "needs the ApplicationImpersonation role covering that mailbox; nothing was changed"
        )
    if isinstance(exc, ews.ErrorAccessDenied):
        return MailboxAccessDeniedError(
            f"access to {mailbox!r} was denied ({name}); nothing was changed"
        )
    if isinstance(exc, ews.UnauthorizedError):
        return MailboxAuthError(
            f"Exchange rejected the service account's login at {url} (HTTP 401): check the "
            "customer's mailbox credential; not retried"
        )
    if isinstance(exc, ews.ErrorServerBusy | ews.RateLimitError):
        back_off = getattr(exc, "back_off", None) or getattr(exc, "wait", None)
        hint = f"; it asked to wait {back_off:g} s" if back_off else ""
        return MailboxBusyError(f"Exchange is busy ({name}){hint}", back_off)
    if isinstance(exc, ews.ErrorIrresolvableConflict | ews.ErrorInvalidChangeKey):
        return MailboxConflictError(
            f"the folder of {mailbox!r} changed while it was being updated ({name}); "
            "request it again"
        )
    if isinstance(exc, ews.ResponseMessageError):
        return MailboxOperationError(f"Exchange refused the request: {name}: {exc}")
    if isinstance(exc, ews.MalformedResponseError | ews.SOAPError):
        return MailboxOperationError(f"Exchange sent an answer that is not EWS: {name}")
    if isinstance(exc, ews.TransportError):
        # TLS failures, redirects, CAS errors: the endpoint itself cannot be used.
        return MailboxUnreachableError(f"Exchange at {url} could not be used: {name}: {exc}")
    if isinstance(exc, ews.EWSError):
        return MailboxOperationError(f"Exchange refused the request: {name}: {exc}")
    return exc
