"""The target's guardrail read, started while its run is being recorded.

A caller that waits (`POST /runs?wait`) has its run recorded running and handed to a
reserved worker in one transaction. Reading the target meanwhile overlaps the DC's answer
with the commit, instead of queueing it behind (measured in bench/directory.py). It is
still a fresh read for that run: taken only by it, only when it starts at once, and never
older than AHEAD_FRESH_S; a run that had to queue drops it and reads again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from typing import Any

from runner_api.customers.models import Customer
from runner_api.directory.gateway import UserEntry

AHEAD_FRESH_S = 2.0
# Reads started for runs that never took them (a refusal before the lookup): bounded.
_KEPT = 64

Locate = Callable[[Customer, str], UserEntry]


class AheadReads:
    """run_id -> the target's read in flight; thread-safe and bounded."""

    def __init__(self, side: Executor, locate: Locate, actions: set[str]) -> None:
        self._side = side
        self._locate = locate
        self._actions = actions
        self._lock = threading.Lock()
        self._reads: OrderedDict[str, tuple[float, str, Future[UserEntry]]] = OrderedDict()

    def start(
        self, run_id: str, customer: Customer, action: str, params: Mapping[str, Any]
    ) -> None:
        username = params.get("username")
        if action not in self._actions or not isinstance(username, str):
            return
        read = self._side.submit(self._locate, customer, username)
        with self._lock:
            self._reads[run_id] = (time.monotonic(), username.lower(), read)
            while len(self._reads) > _KEPT:
                self._reads.popitem(last=False)[1][2].cancel()

    def drop(self, run_id: str) -> None:
        with self._lock:
            found = self._reads.pop(run_id, None)
        if found is not None:
            found[2].cancel()

    def take(self, run_id: str, username: str) -> Future[UserEntry] | None:
        """The read started for this run and account, if still fresh; else None."""
        with self._lock:
            found = self._reads.pop(run_id, None)
        if found is None:
            return None
        began, name, read = found
        if name != username.lower() or time.monotonic() - began > AHEAD_FRESH_S:
            read.cancel()
            return None
        return read
