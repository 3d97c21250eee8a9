"""The helpdesk's own directory, where agents log in: the Protocol sessions use, the checks
every username and password pass first, and the errors (the ldap3 implementation is
directory/login.py).

No blank password ever reaches a bind: AD answers a simple bind with a DN and an
empty password as a success (an "unauthenticated bind", RFC 4513 §5.1.2). Every username
is checked, then escaped in the filter; the user binds with the DN the lookup found,
never with what was typed. Binds go over TLS verified against the configured CA and name.

AuthenticationError
└── LoginRejectedError       wrong or unknown user, wrong password, locked, disabled, or a
                             right password on an account in no Fixline role (401)
RateLimitedError
└── NearLockoutError         the account is one failed bind from lockout: none is sent (429)
LoginUnavailableError        directory down, too slow, Fixline's lookup bind refused, or a
                             lockout policy it cannot read governs the account (503)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from runner_api.auth.errors import AuthenticationError
from runner_api.auth.lockout import LockoutPolicy

ACCOUNT_DISABLED = 0x2
# sAMAccountName may not hold these (nor control characters); AD limits it to 20 characters
# but pre-Windows-2000 names aside, 64 leaves room for other directories.
_BAD_NAME_CHARS = frozenset('"/\\[]:;|=,+*?<>@')
_MAX_NAME = 64


class LoginRejectedError(AuthenticationError):
    """Not logged in; the caller hears only "wrong username or password", the audit the reason."""

    code = "login_failed"

    def __init__(self, reason: str) -> None:
        super().__init__("wrong username or password")
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """An agent the directory vouched for."""

    username: str  # sAMAccountName, as the directory spells it
    dn: str
    display_name: str
    # objectGUID: the account's identity for good (names and DNs can change hands).
    guid: str
    # Every group the agent is in, nested included (read before the bind: authenticate).
    groups: frozenset[str]
    # Its `mail`, where notices about the agent's own runs go; None: none on record.
    mail: str | None = None


class LoginDirectory(Protocol):
    def authenticate(self, username: str, password: str, policy: LockoutPolicy) -> Identity:
        """The agent and its groups when the password is right; LoginRejectedError,
        NearLockoutError (no bind sent) or LoginUnavailableError."""
        ...

    def lockout_policy(self) -> LockoutPolicy:
        """The directory's lockout threshold and window; ConfigurationError when unreadable."""
        ...

    def groups(self, user_dn: str) -> set[str] | None:
        """Names of every group the user is in, nested included; None: gone or disabled."""
        ...


def check_password(password: str) -> None:
    """LoginRejectedError for a password no bind may carry: blank, spaces only, or NUL."""
    if not password.strip() or "\x00" in password:
        raise LoginRejectedError("blank or invalid password (no bind attempted)")


def check_username(username: str) -> str:
    """The trimmed username; LoginRejectedError when it cannot be a sAMAccountName."""
    name = username.strip()
    if (
        not name
        or len(name) > _MAX_NAME
        or any(c in _BAD_NAME_CHARS or ord(c) < 0x20 or ord(c) == 0x7F for c in name)
    ):
        raise LoginRejectedError("malformed username (no bind attempted)")
    return name
