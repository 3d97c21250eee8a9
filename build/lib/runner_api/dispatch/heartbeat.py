"""Background upkeep: heartbeats for owned runs, cancels asked from elsewhere, orphan sweep."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from runner_api.dispatch.pool import LocalPool
from runner_api.runs.models import Run
from runner_api.runs.recovery import recover_orphans
from runner_api.runs.store import RunStore

log = logging.getLogger(__name__)


class Heartbeat:
    """One daemon thread per process."""

    def __init__(
        self,
        store: RunStore,
        pool: LocalPool,
        me: str,
        interval_s: float,
        reap: Callable[[str], object] | None = None,
        chores: tuple[Callable[[], object], ...] = (),
        resume: Callable[[Run], bool] | None = None,
    ) -> None:
        self.store = store
        self.reap = reap
        # Dispatches queued runs taken over from a stopped process (a service's duty).
        self.resume = resume
        # Periodic upkeep of other features (due scheduled runs, expired reveals).
        self.chores = chores
        self.pool = pool
        self.me = me
        self.interval_s = interval_s
        self.stale_after_s = max(30.0, 3 * interval_s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fixline-heartbeat", daemon=True)

    def start(self, *, chores: bool = True) -> None:
        """chores=False: only this process's runs (heartbeats, cancels, orphans), and no
        queued runs of stopped processes."""
        if not chores:
            self.chores = ()
            self.resume = None
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        count = 0
        # Cancels from another process arrive through the store; check them often.
        tick = min(self.interval_s, 0.5)
        while not self._stop.wait(tick):
            count += 1
            try:
                for run_id in self.store.cancel_requested(self.pool.running_ids()):
                    self.pool.cancel(run_id)
                if count * tick >= self.interval_s:
                    count = 0
                    self.store.heartbeat(self.me)
                    recover_orphans(self.store, self.me, self.stale_after_s, self.reap, self.resume)
                for chore in self.chores:
                    chore()
            except Exception:  # a store hiccup must not end the upkeep thread
                log.exception("heartbeat round failed")
