"""Staying below the login directory's account lockout, so Fixline never locks an agent.

Active Directory locks an account at `lockoutThreshold` failed binds, counting failures
until none came for `lockOutObservationWindow` (then `badPwdCount` starts again at 0).
Fine-grained password policies (msDS-PasswordSettings) may set other values for some
accounts. Fixline keeps its own per-username limit strictly below the lowest threshold it
can read, over at least the longest window, and before each bind reads the account's own
count at the DC (which also sees failures made elsewhere, and by other Fixline processes):
a bind that could be the locking one is never sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from runner_api.auth.errors import RateLimitedError
from runner_api.errors import ConfigurationError

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
# AD's "never" for an interval (lockoutDuration "until an admin unlocks", and so on).
_NEVER = -(2**63)


def interval_s(value: str | None) -> int | None:
    """An AD interval (negative 100 ns units) in seconds; None when unset or "never"."""
    if not value or int(value) in (0, _NEVER):
        return None
    return math.ceil(-int(value) / 10_000_000)


def filetime(value: str | None) -> datetime | None:
    """An AD moment (100 ns units since 1601) as UTC; None when it never happened."""
    if not value or int(value) <= 0:
        return None
    return _FILETIME_EPOCH + timedelta(microseconds=int(value) // 10)


class NearLockoutError(RateLimitedError):
    """The account is one failed bind from lockout: no bind is sent. The caller hears the
    login limit's answer; the audit log hears `reason`."""

    def __init__(self, retry_after_s: int, reason: str) -> None:
        super().__init__("too many failed logins; wait before trying again", retry_after_s)
        self.reason = reason


@dataclass(frozen=True)
class LockoutPolicy:
    """The lowest lockout threshold (0: accounts never lock) and longest observation window
    of the domain and the fine-grained policies Fixline could read."""

    threshold: int
    window_s: int
    # DNs (lower case) of the fine-grained policies folded into the values above.
    read_psos: frozenset[str] = field(default_factory=frozenset)

    def throttle(self, per_user: int, window_s: float) -> tuple[int, float]:
        """Fixline's per-username failure limit and window, strictly below the lockout."""
        if self.threshold == 0:
            return per_user, window_s
        if self.threshold == 1:
            raise ConfigurationError(
                "the login directory locks an account at its first failed login "
                "(lockoutThreshold 1): agent login through Fixline would lock agents' "
                "accounts with every mistyped password. Raise the directory's lockout "
                "threshold, or turn agent login off (unset FIXLINE_LOGIN_LDAP_URL)"
            )
        return min(per_user, self.threshold - 1), max(window_s, self.window_s)

    def check_account(self, bad_count: int, bad_time: datetime | None, now: datetime) -> None:
        """NearLockoutError when the account's next failed bind could lock it."""
        if self.threshold == 0 or bad_time is None:
            return
        forgotten_at = bad_time + timedelta(seconds=self.window_s)
        if forgotten_at <= now or bad_count < self.threshold - 1:
            return
        raise NearLockoutError(
            max(1, math.ceil((forgotten_at - now).total_seconds())),
            f"one failure from lockout: the directory counts {bad_count} failed logins of "
            f"the account and locks it at {self.threshold} (no bind sent)",
        )
