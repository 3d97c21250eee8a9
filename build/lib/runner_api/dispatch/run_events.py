"""Events of running runs: numbered and redacted at once, written in batches.

A directory fix emits three events within a few milliseconds, and a commit per event cost
more than the fix's own LDAP work. So events wait in memory for at most LIVE_DELAY_S and
are written together, or with the run's end in its terminal transaction, whichever comes
first: a live view sees them that much later, a short run writes none on its own.

A crash loses only the events of that short window, never a change without a record: the
run was committed as running before anything outside was touched, so recovery marks it
interrupted.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from runner_api.runs.context import EventIn
from runner_api.runs.service import Job
from runner_api.runs.signals import RunSignals
from runner_api.runs.store import RunStore
from runner_api.types import utcnow

log = logging.getLogger(__name__)

# How late a live view (SSE, the web page) may see an event of a running run.
LIVE_DELAY_S = 0.2
# The Later thread ends after this long without work; the next call starts it again.
_IDLE_S = 30.0


class Later:
    """One thread that calls functions a short while from now (writes of run events, wake-ups
    of the relays after a run's end); it ends when idle and starts again when needed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, Callable[[], object]]] = []  # a heap
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def call(self, delay_s: float, fn: Callable[[], object]) -> None:
        """Call fn (which must not raise) in delay_s seconds, on the Later thread."""
        with self._cond:
            entry = (time.monotonic() + delay_s, next(self._order), fn)
            heapq.heappush(self._due, entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="fixline-later", daemon=True
                )
                self._thread.start()
            elif self._due[0] is entry:
                # Only an earlier deadline needs the thread awake (it sleeps until the first).
                self._cond.notify()

    def _loop(self) -> None:
        while (fn := self._next()) is not None:
            try:
                fn()
            except Exception:  # one failed call must not stop the others
                log.exception("a deferred call failed")

    def _next(self) -> Callable[[], object] | None:
        """The next function due; None (the thread ends) after _IDLE_S without any."""
        with self._cond:
            while True:
                if not self._due:
                    if not self._cond.wait(_IDLE_S) and not self._due:
                        self._thread = None
                        return None
                    continue
                wait_s = self._due[0][0] - time.monotonic()
                if wait_s <= 0:
                    return heapq.heappop(self._due)[2]
                self._cond.wait(wait_s)


class RunEvents:
    """The events of one run, in emit order; written LIVE_DELAY_S later or with the end."""

    def __init__(self, job: Job, store: RunStore, signals: RunSignals, later: Later) -> None:
        self.run_id = job.run_id
        self._job = job
        self._store = store
        self._signals = signals
        self._later = later
        # Held while a batch is written, so a later batch (or the end) never commits first:
        # a reader following `seq` would skip the earlier one.
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._seq = 0
        self._ended = False

    def emit(self, event: EventIn) -> None:
        """Number and redact one event; it is written within LIVE_DELAY_S or with the end."""
        redactor = self._job.redactor
        row = {
            "run_id": self.run_id,
            "created_at": utcnow(),
            "kind": event.kind[:32],
            "task": redactor.text(event.task)[:255] if event.task else None,
            "host": event.host[:255] if event.host else None,
            "message": redactor.text(event.message),
            "data": redactor.data(dict(event.data)),
        }
        with self._lock:
            self._seq += 1
            row["seq"] = self._seq
            if self._ended:
                # Emitted after the end was recorded (a straggling thread): written at once.
                self._store.add_events([row])
            else:
                self._pending.append(row)
            first = len(self._pending) == 1
        if first:
            self._later.call(LIVE_DELAY_S, self.flush)
        elif self._ended:
            self._signals.changed(self.run_id)

    def flush(self) -> None:
        """Write what is pending now, in one transaction, and wake the live views."""
        with self._lock:
            if not self._pending:
                return
            try:
                self._store.add_events(self._pending)
            except Exception:  # kept for the end's transaction, which fails closed itself
                log.exception("could not write events of run %s yet", self.run_id)
                return
            self._pending = []
        self._signals.changed(self.run_id)

    def end(self) -> list[dict[str, Any]]:
        """The events not written yet, for the end's transaction; later ones go at once."""
        with self._lock:
            self._ended = True
            pending, self._pending = self._pending, []
        return pending
