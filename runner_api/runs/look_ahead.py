"""A run's first reads (its target's guardrail reads), started while it is being recorded.

A caller that waits (`POST /runs?wait`) has its run recorded running and handed to a
reserved worker in one transaction. Reading the target meanwhile overlaps the directory's
answer with the commit, instead of queueing it behind (measured in bench/directory.py and
bench/graph.py). It is still a fresh read for that run: taken only by it, only when it
starts at once, and never older than AHEAD_FRESH_S; a run that had to queue drops it and
reads again. Kept by the directory fixes (the target's lookup), the Entra ID fixes
(runner_api/entra/targets.py) and the account guardrail of mailbox runs (accounts/guard.py).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Generic, TypeVar

AHEAD_FRESH_S = 2.0
# Reads started for runs that never took them (a refusal before the lookup): bounded.
_KEPT = 64

T = TypeVar("T")


class AheadReads(Generic[T]):
    """run_id -> the target's read in flight (or already made); thread-safe and bounded."""

    def __init__(self, side: Executor | None = None) -> None:
        # None: the reads are only handed in (hand), made by someone else's side thread.
        self._side = side
        self._lock = threading.Lock()
        self._reads: OrderedDict[str, tuple[float, str, Future[T]]] = OrderedDict()

    def start(self, run_id: str, username: str, read: Callable[[], T]) -> None:
        """Read `username` for this run on the side executor."""
        if self._side is None:
            raise RuntimeError("AheadReads without a side executor only takes handed reads")
        self._keep(run_id, username, self._side.submit(read))

    def hand(self, run_id: str, username: str, value: T) -> None:
        """Keep what one step of the run already read, for the next step of the same run."""
        done: Future[T] = Future()
        done.set_result(value)
        self._keep(run_id, username, done)

    def drop(self, run_id: str) -> None:
        with self._lock:
            found = self._reads.pop(run_id, None)
        if found is not None:
            found[2].cancel()

    def take(self, run_id: str, username: str) -> Future[T] | None:
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

    def _keep(self, run_id: str, username: str, read: Future[T]) -> None:
        with self._lock:
            self._reads[run_id] = (time.monotonic(), username.lower(), read)
            while len(self._reads) > _KEPT:
                self._reads.popitem(last=False)[1][2].cancel()
