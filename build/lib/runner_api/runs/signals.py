"""Wakes API waiters (POST /runs?wait, the SSE stream) when a run of this process changes.

Runs executed elsewhere (another process, a remote worker) are still seen: waiters also
re-read the store after a short timeout.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict, defaultdict

# How many recently ended run ids are remembered for waiters that arrive late.
_RECENT_ENDS = 1024


class RunSignals:
    """Thread-safe notifications from worker threads to asyncio waiters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Each waiter: its loop, its event, and whether only the run's end wakes it.
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event, bool]]] = (
            defaultdict(set)
        )
        # A run may end between the waiter's read of the store and its call to wait (a
        # directory fix takes milliseconds): remembered, so that waiter is not left to
        # sleep out its whole timeout.
        self._ended: OrderedDict[str, None] = OrderedDict()

    def changed(self, run_id: str, *, ended: bool = False) -> None:
        """A run got an event or a new status, or ended (called from any thread)."""
        with self._lock:
            if ended:
                self._ended[run_id] = None
                while len(self._ended) > _RECENT_ENDS:
                    self._ended.popitem(last=False)
            waiters = [w for w in self._waiters.get(run_id, ()) if ended or not w[2]]
        for loop, event, _ in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the waiter's loop is closed: nobody listens any more
                continue

    async def wait(self, run_id: str, timeout_s: float, *, until_ended: bool = False) -> None:
        """Return when the run changes (with until_ended: when it ends), or after timeout_s,
        whichever comes first."""
        # until_ended: POST /runs?wait only needs the end; waking it (and re-reading the
        # run) on every event took CPU from the worker running that very run.
        entry = (asyncio.get_running_loop(), asyncio.Event(), until_ended)
        with self._lock:
            if until_ended and run_id in self._ended:
                return
            self._waiters[run_id].add(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), timeout_s)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                waiters = self._waiters.get(run_id)
                if waiters is not None:
                    waiters.discard(entry)
                    if not waiters:
                        del self._waiters[run_id]
