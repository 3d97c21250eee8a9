"""Failures the Graph simulator injects on request; thread-safe, cleared by `clear()`.

throttle   the next N Graph calls answer 429 (or 503) with Retry-After and Microsoft's body
stall      answers are held for some seconds (client timeouts)
lose       the next N writes are applied, then the connection closes without an answer
replication_delay  objects created or changed stay invisible to reads and refs for a while
deny       the app lacks a permission: calls needing only it answer 403
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Throttle:
    retry_after_s: int
    status: int


class Faults:
    """The simulator's injected failures; every method takes the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._throttles: list[Throttle] = []
        self._stall_s = 0.0
        self._stall_count: int | None = None
        self._lose = 0
        self._replication_s = 0.0
        self._denied: set[str] = set()
        # Set by stop() (and clear()) so a stalled answer never outlives the simulator.
        self.released = threading.Event()

    def throttle(self, count: int, retry_after_s: int = 1, status: int = 429) -> None:
        if status not in (429, 503):
            raise ValueError("Graph throttles with 429 or 503")
        with self._lock:
            self._throttles.extend(Throttle(retry_after_s, status) for _ in range(count))

    def stall(self, seconds: float, count: int | None = None) -> None:
        """Hold the next `count` answers (every answer when None) for `seconds`."""
        with self._lock:
            self.released.clear()
            self._stall_s = seconds
            self._stall_count = count

    def lose_answer(self, count: int = 1) -> None:
        with self._lock:
            self._lose += count

    def replication_delay(self, seconds: float) -> None:
        with self._lock:
            self._replication_s = seconds

    def deny(self, permission: str) -> None:
        with self._lock:
            self._denied.add(permission)

    def clear(self) -> None:
        with self._lock:
            self._throttles.clear()
            self._stall_s = 0.0
            self._stall_count = None
            self._lose = 0
            self._replication_s = 0.0
            self._denied.clear()
        self.released.set()

    def take_throttle(self) -> Throttle | None:
        with self._lock:
            return self._throttles.pop(0) if self._throttles else None

    def take_stall(self) -> float:
        """Seconds to hold this answer (0: none)."""
        with self._lock:
            if self._stall_s <= 0 or self._stall_count == 0:
                return 0.0
            if self._stall_count is not None:
                self._stall_count -= 1
            return self._stall_s

    def take_lose(self) -> bool:
        with self._lock:
            if self._lose <= 0:
                return False
            self._lose -= 1
            return True

    @property
    def replication_s(self) -> float:
        with self._lock:
            return self._replication_s

    def denied(self, permission: str) -> bool:
        with self._lock:
            return permission in self._denied
