"""The local worker pool: N threads, and never two runs on one target at the same time.

The target lock lives in the store (target_locks), so it also holds between processes
sharing a store (the API and a `fixline run` from the CLI).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from runner_api.dispatch.execution import JobRunner
from runner_api.runs.service import Job
from runner_api.runs.store import RunStore

log = logging.getLogger(__name__)

# How long a worker waits before retrying jobs whose target is locked by another process.
_LOCK_RETRY_S = 0.25


@dataclass
class _Slot:
    job: Job
    cancel: threading.Event = field(default_factory=threading.Event)


class LocalPool:
    """Thread pool dispatcher with per-target locking; implements runs.service.Dispatcher."""

    def __init__(self, store: RunStore, runner: JobRunner, workers: int) -> None:
        self.store = store
        self.runner = runner
        self.workers = workers
        self._cond = threading.Condition()
        self._queue: list[_Slot] = []
        self._running: dict[str, _Slot] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = False

    def start(self) -> None:
        for index in range(self.workers):
            thread = threading.Thread(
                target=self._work, name=f"fixline-worker-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def submit(self, job: Job) -> None:
        with self._cond:
            self._queue.append(_Slot(job))
            self._cond.notify()

    def cancel(self, run_id: str) -> None:
        with self._cond:
            self._queue = [slot for slot in self._queue if slot.job.run_id != run_id]
            slot = self._running.get(run_id)
        if slot is not None:
            slot.cancel.set()

    def running_ids(self) -> list[str]:
        with self._cond:
            return list(self._running)

    def queued_count(self) -> int:
        with self._cond:
            return len(self._queue)

    def stop(self, timeout_s: float = 10.0) -> list[str]:
        """Cancel what runs, drop what waits (ids returned), and wait for the workers."""
        with self._cond:
            self._stopping = True
            dropped = [slot.job.run_id for slot in self._queue]
            self._queue.clear()
            for slot in self._running.values():
                slot.cancel.set()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout_s)
        return dropped

    def _take(self) -> _Slot | None:
        """The first queued job whose target is free (lock taken), or None when stopping."""
        with self._cond:
            while not self._stopping:
                busy = {slot.job.lock_key for slot in self._running.values()}
                for slot in list(self._queue):
                    key = slot.job.lock_key
                    if key in busy:
                        continue
                    # Lock and running state in one transaction (one commit less per run).
                    try:
                        started = self.store.lock_and_start(key, slot.job.run_id)
                    except Exception:  # e.g. no audit log: not started (fail closed), worker lives
                        log.exception("could not start run %s", slot.job.run_id)
                        started = False
                    if started is None:
                        busy.add(key)
                        continue
                    self._queue.remove(slot)
                    if started:
                        self._running[slot.job.run_id] = slot
                        return slot
                    # It may not start (canceled or ended meanwhile): nothing to run.
                self._cond.wait(_LOCK_RETRY_S if self._queue else None)
        return None

    def _work(self) -> None:
        while (slot := self._take()) is not None:
            try:
                self.runner.run(slot.job, slot.cancel, started=True)
            except Exception:  # keep the worker alive; the run's end is recorded by the runner
                log.exception("worker failed on run %s", slot.job.run_id)
                self.store.release_target(slot.job.run_id)
            finally:
                with self._cond:
                    self._running.pop(slot.job.run_id, None)
                    self._cond.notify_all()
