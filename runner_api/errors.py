"""The one error tree of Fixline. Services raise these; only the app maps them to HTTP.

Every subclass of FixlineError in runner_api, with the module it lives in where that is not
this one; the statuses are those api/errors.py answers with (anything unmapped is a 500).
The feature modules say more of their own errors. tests/test_error_tree.py checks this
drawing against the classes. The lab's LabError (lab/process.py), a ConfigurationError, is
not drawn: the product never imports the lab.

FixlineError
├── NotFoundError                      (404)
│   ├── ActionNotFoundError
│   ├── CustomerNotFoundError
│   ├── RunNotFoundError
│   ├── ApprovalNotFoundError          (approvals/service.py)
│   ├── CaNotFoundError                (pki/errors.py)
│   ├── DirectoryObjectNotFoundError   (directory/errors.py)
│   ├── GraphNotFoundError             (graph/errors.py)
│   ├── MailboxNotFoundError           (mailbox/errors.py)
│   └── RevealNotFoundError            (reveals/service.py)
├── InvalidRequestError                bad input a caller can fix (422)
│   ├── InvalidParamsError
│   ├── InvalidTicketIdError           (runs/ticket_ids.py)
│   └── UnmappedPayloadError           (webhooks/mapping.py)
├── RefusedError                       valid input that policy refuses (403); recorded as a run
│   ├── NotAllowlistedError
│   ├── NotVettedError
│   ├── AccountRefusedError            (accounts/errors.py)
│   │   ├── NoAccountError             (accounts/errors.py)
│   │   └── VipNotApprovedError        (accounts/errors.py)
│   ├── BundleError                    (pki/errors.py)
│   ├── DirectoryRefusedError          (directory/errors.py)
│   │   ├── GroupNotAllowedError       (directory/errors.py)
│   │   ├── NoCloudAccountError        (entra/errors.py)
│   │   ├── NotInEntraError            (entra/errors.py)
│   │   ├── OutOfScopeError            (directory/errors.py)
│   │   ├── ProtectedTargetError       (directory/errors.py)
│   │   └── SyncedAccountError         (entra/errors.py)
│   ├── IssuancePolicyError            (pki/errors.py)
│   └── MailboxRefusedError            (mailbox/errors.py)
│       ├── ExternalForwardingError    (mailbox/errors.py)
│       ├── MailboxUnsupportedError    (mailbox/errors.py)
│       └── OutsideCustomerError       (mailbox/errors.py)
├── ConflictError                      the state forbids it now (409)
│   ├── InvalidTransitionError
│   ├── ApprovalClosedError            (approvals/service.py)
│   ├── DuplicateDeliveryError         (webhooks/deliveries.py)
│   ├── IdempotencyError               (webhooks/deliveries.py)
│   ├── RevealKindError                (reveals/service.py)
│   ├── TargetBusyError                (sites/service.py)
│   └── TokenNameTakenError            (auth/tokens.py)
├── ConfigurationError                 the installation is wrong (start-up stops, or 503)
│   ├── AuditKeyError                  (audit/errors.py)
│   └── AuditUnavailableError          (audit/errors.py)
├── ExecutorError                      an outside system failed during a run (502)
│   ├── DeliveryError                  (outbox/relay.py)
│   ├── DirectoriesUnavailableError    (directory/errors.py)
│   ├── DirectoryError                 (directory/errors.py)
│   │   ├── DirectoryAccessDeniedError (directory/errors.py)
│   │   ├── DirectoryBindError         (directory/errors.py)
│   │   ├── DirectoryOperationError    (directory/errors.py)
│   │   ├── DirectoryUnreachableError  (directory/errors.py)
│   │   │   └── ConnectionLostError    (directory/errors.py)
│   │   └── PasswordPolicyError        (directory/errors.py)
│   ├── GraphError                     (graph/errors.py)
│   │   ├── GraphAmbiguousError        (graph/errors.py)
│   │   ├── GraphAuthError             (graph/errors.py)
│   │   ├── GraphOperationError        (graph/errors.py)
│   │   ├── GraphRefusedError          (graph/errors.py)
│   │   ├── GraphThrottledError        (graph/errors.py)
│   │   └── GraphUnavailableError      (graph/errors.py)
│   │       └── GraphOutcomeUnknownError (graph/errors.py)
│   ├── MailboxError                   (mailbox/errors.py)
│   │   ├── ImpersonationRefusedError  (mailbox/errors.py)
│   │   ├── MailboxAccessDeniedError   (mailbox/errors.py)
│   │   ├── MailboxAuthError           (mailbox/errors.py)
│   │   ├── MailboxBusyError           (mailbox/errors.py)
│   │   ├── MailboxConflictError       (mailbox/errors.py)
│   │   ├── MailboxOperationError      (mailbox/errors.py)
│   │   └── MailboxUnreachableError    (mailbox/errors.py)
│   ├── MonitoringCommandError         (monitoring/commands.py)
│   └── TlsCheckError                  (pki/errors.py)
├── AuthenticationError                (auth/errors.py)          no valid credentials (401)
│   ├── LoginRejectedError             (auth/login_directory.py)
│   └── SignatureError                 (webhooks/signature.py)
├── PermissionDeniedError              (auth/errors.py)          credentials lack the right (403)
├── RateLimitedError                   (auth/errors.py)          too many requests of a kind (429)
│   └── NearLockoutError               (auth/lockout.py)
├── LoginUnavailableError              (auth/errors.py)          no usable login directory (503)
├── RevealGoneError                    (reveals/service.py)      already read or expired (410)
└── SiteApiError                       (sites/client.py)         a worker's call to the API failed
"""

from __future__ import annotations

from typing import Any


class FixlineError(Exception):
    """Base of every error Fixline raises on purpose."""

    code = "error"
    # Set (auth/authorize.py `denial`) when the error refuses the caller something outside
    # its scope: the app audits it (bounded), and the answer stays exactly as it is.
    denial: str | None = None

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFoundError(FixlineError):
    code = "not_found"


class ActionNotFoundError(NotFoundError):
    code = "action_not_found"


class CustomerNotFoundError(NotFoundError):
    code = "customer_not_found"


class RunNotFoundError(NotFoundError):
    code = "run_not_found"


class InvalidRequestError(FixlineError):
    code = "invalid_request"


class InvalidParamsError(InvalidRequestError):
    code = "invalid_params"

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message, errors=errors)
        self.errors = errors


class RefusedError(FixlineError):
    code = "refused"


class NotAllowlistedError(RefusedError):
    code = "not_allowlisted"


class NotVettedError(RefusedError):
    code = "not_vetted"


class ConflictError(FixlineError):
    code = "conflict"


class InvalidTransitionError(ConflictError):
    code = "invalid_transition"


class ConfigurationError(FixlineError):
    code = "configuration"


class ExecutorError(FixlineError):
    code = "executor"
