"""Directory errors, and the one place ldap3 results become them (by result code, never text).

ExecutorError
├── DirectoriesUnavailableError      a hybrid picker: neither AD nor Entra ID answered
└── DirectoryError
    ├── DirectoryUnreachableError    DC down, refusing, or too slow (bounded by timeout_s)
    │   └── ConnectionLostError      the link dropped after a write was sent: it may have applied
    ├── DirectoryBindError           the service account's bind failed (49 + data code)
    ├── DirectoryAccessDeniedError   50: the service account lacks rights on that OU
    ├── PasswordPolicyError          19 + 0000052D: the domain password policy refused it
    └── DirectoryOperationError      any other result code
RefusedError
└── DirectoryRefusedError            a guardrail: refused before any write
    ├── OutOfScopeError              target outside the customer's user OUs
    ├── ProtectedTargetError         adminCount, privileged group (nested too), deny list
    └── GroupNotAllowedError         group not on the customer's `groups` allow-list
NotFoundError
└── DirectoryObjectNotFoundError     no such user or group
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from runner_api.errors import ExecutorError, NotFoundError, RefusedError

SUCCESS = 0
CONSTRAINT_VIOLATION = 19
INVALID_CREDENTIALS = 49
INSUFFICIENT_ACCESS_RIGHTS = 50
UNWILLING_TO_PERFORM = 53
ENTRY_ALREADY_EXISTS = 68
# AD puts its own sub-code in the diagnostic message: "... data 52e, v1db1" / "0000052D: ...".
_DATA_CODE = re.compile(r"\bdata ([0-9a-fA-F]{3,8})\b")
_POLICY_CODE = "0000052D"
_BIND_REASONS = {
    "52e": "invalid credentials",
    "525": "no such user",
    "530": "logon not permitted at this time",
    "531": "logon not permitted from this workstation",
    "532": "password expired",
    "533": "account disabled",
    "701": "account expired",
    "773": "password must be changed at next logon",
    "775": "account locked out",
}


class DirectoryError(ExecutorError):
    code = "directory"


class DirectoriesUnavailableError(ExecutorError):
    code = "directories_unavailable"


class DirectoryUnreachableError(DirectoryError):
    code = "directory_unreachable"


class ConnectionLostError(DirectoryUnreachableError):
    code = "directory_connection_lost"


class DirectoryBindError(DirectoryError):
    code = "directory_bind"

    def __init__(self, message: str, data_code: str | None = None) -> None:
        super().__init__(message, data_code=data_code)
        self.data_code = data_code


class DirectoryAccessDeniedError(DirectoryError):
    code = "directory_access_denied"


class PasswordPolicyError(DirectoryError):
    code = "password_policy"


class DirectoryOperationError(DirectoryError):
    code = "directory_operation"

    def __init__(self, message: str, result_code: int) -> None:
        super().__init__(message, result_code=result_code)
        self.result_code = result_code


class DirectoryRefusedError(RefusedError):
    code = "directory_refused"


class OutOfScopeError(DirectoryRefusedError):
    code = "out_of_scope"


class ProtectedTargetError(DirectoryRefusedError):
    code = "protected_target"


class GroupNotAllowedError(DirectoryRefusedError):
    code = "group_not_allowed"


class DirectoryObjectNotFoundError(NotFoundError):
    code = "directory_object_not_found"


def data_code(result: Mapping[str, Any]) -> str | None:
    """The AD sub-code (`data 52e`) of an ldap3 result, lower-case; None when there is none."""
    found = _DATA_CODE.search(str(result.get("message") or ""))
    return found.group(1).lower() if found else None


def bind_reason(result: Mapping[str, Any]) -> str:
    """Why a bind failed, in words, from its result code and AD sub-code."""
    code = data_code(result)
    reason = _BIND_REASONS.get(code or "", "invalid credentials")
    return f"{reason} (result 49, data {code})" if code else f"{reason} (result 49)"


def _policy_rule(message: str) -> str:
    # AD's text names no rule; Samba's names it after this marker. Shown, never mapped on.
    marker = "check_password_restrictions:"
    if marker in message:
        return message.split(marker, 1)[1].strip().rstrip("!").strip()
    return "length, complexity, history or minimum age"


def result_error(result: Mapping[str, Any], operation: str, dn: str) -> DirectoryError:
    """The DirectoryError for a failed ldap3 result of `operation` on `dn`."""
    code = int(result.get("result", -1))
    message = str(result.get("message") or "")
    if code == INVALID_CREDENTIALS:
        return DirectoryBindError(f"{operation} failed: {bind_reason(result)}", data_code(result))
    if code == INSUFFICIENT_ACCESS_RIGHTS:
        return DirectoryAccessDeniedError(
            f"{operation} on {dn!r} was denied (result 50): the service account lacks the "
            "delegated right on that OU; nothing was changed"
        )
    if code == CONSTRAINT_VIOLATION and message.upper().startswith(_POLICY_CODE):
        return PasswordPolicyError(
            f"{operation} on {dn!r} was refused by the domain password policy "
            f"(result 19, {_POLICY_CODE}): rule: {_policy_rule(message)}"
        )
    name = str(result.get("description") or "error")
    return DirectoryOperationError(f"{operation} on {dn!r} failed: {name} (result {code})", code)
