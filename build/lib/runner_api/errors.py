"""The one error tree of Fixline. Services raise these; only the app maps them to HTTP.

FixlineError
├── NotFoundError
│   ├── ActionNotFoundError
│   ├── CustomerNotFoundError
│   └── RunNotFoundError
├── InvalidRequestError          bad input a caller can fix (422)
│   └── InvalidParamsError
├── RefusedError                 valid input that policy refuses (403); recorded as a run
│   ├── NotAllowlistedError
│   └── NotVettedError
├── ConflictError                the state forbids it now (409)
│   └── InvalidTransitionError
├── ConfigurationError           the installation is wrong (start-up stops)
└── ExecutorError                an outside system failed during a run
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
