"""Failed-login counting per username and per client address, checked before any bind.

Per username the count works as the directory's own (lockout.py): failures are forgotten
only when none came for a whole window, so a limit below the lockout threshold, over at
least the observation window, never lets Fixline lock an account. Per address it slides.

In memory, per process: a deployment with several API processes multiplies the limits by
their number (still far under what guessing needs; the account's own count at the DC,
checked before each bind, still holds), and a restart forgets them.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from runner_api.auth.errors import RateLimitedError

# Stop an attacker inventing usernames from growing the table without end.
_MAX_KEYS = 10_000


class LoginThrottle:
    """At most `per_user` failures per username and `per_address` per address per window."""

    def __init__(
        self,
        per_user: int,
        per_address: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {"user": per_user, "address": per_address}
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def tighten(self, per_user: int, window_s: float) -> None:
        """Use this username limit and window (the directory's lockout allows no more)."""
        with self._lock:
            self.limits["user"] = per_user
            self.window_s = window_s

    def check(self, username: str, address: str | None) -> None:
        """RateLimitedError (with Retry-After) when either counter is at its limit."""
        now = self.clock()
        with self._lock:
            for key in self._keys(username, address):
                failures = self._recent(key, now)
                if len(failures) >= self.limits[key[0]]:
                    # A username's failures go all at once, a window after the last one.
                    frees = failures[-1] if key[0] == "user" else failures[0]
                    retry = math.ceil(frees + self.window_s - now)
                    raise RateLimitedError(
                        "too many failed logins; wait before trying again",
                        retry_after_s=max(1, retry),
                    )

    def failed(self, username: str, address: str | None) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) > _MAX_KEYS:
                for key in list(self._failures):
                    if not self._recent(key, now):
                        del self._failures[key]
            for key in self._keys(username, address):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        """The right password clears the username's count (not the address's)."""
        with self._lock:
            self._failures.pop(self._keys(username, None)[0], None)

    def _keys(self, username: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("user", username.strip().casefold()[:256])]
        if address:
            keys.append(("address", address))
        return keys

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        if key[0] == "user":
            if failures and failures[-1] <= now - self.window_s:
                failures.clear()
            return failures
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures
