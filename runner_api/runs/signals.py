"""Wakes API waiters (POST /runs?wait, the SSE stream) when a run of this process changes.

Runs executed elsewhere (another process, a remote worker) are still seen: waiters also
re-read the store after a short timeout.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict


class RunSignals:
    """Thread-safe notifications from worker threads to asyncio waiters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = (
            defaultdict(set)
        )

    def changed(self, run_id: str) -> None:
        """A run got an event or a new status (called from any thread)."""
        with self._lock:
            waiters = list(self._waiters.get(run_id, ()))
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the waiter's loop is closed: nobody listens any more
                continue

    async def wait(self, run_id: str, timeout_s: float) -> None:
        """Return when the run changes, or after timeout_s, whichever comes first."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
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
