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
        # Handed over already running (see reserve/hand), and the targets held for them.
        self._handed: list[_Slot] = []
        self._reserved: set[str] = set()
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

    def reserve(self, job: Job) -> bool:
        """Hold an idle worker for `job` when nothing waits and no run of this process has
        its target; then the caller records it running itself and calls `hand` (or
        `release`). Saves the worker's own start transaction and a wake-up per run.

        A reserved job's executor starts its first reads at once (JobRunner.look_ahead):
        they overlap the caller's transaction."""
        with self._cond:
            busy = {slot.job.lock_key for slot in self._running.values()} | self._reserved
            taken = len(self._running) + len(self._handed) + len(self._reserved)
            if self._stopping or self._queue or taken >= self.workers or job.lock_key in busy:
                return False
            self._reserved.add(job.lock_key)
        self.runner.look_ahead(job)
        return True

    def hand(self, job: Job) -> None:
        """Give a reserved worker its job, recorded running with its target locked."""
        with self._cond:
            self._reserved.discard(job.lock_key)
            self._handed.append(_Slot(job))
            self._cond.notify()

    def release(self, job: Job) -> None:
        """Give back a reservation that was not used (the job may queue: its reads go)."""
        self.runner.drop_ahead(job)
        with self._cond:
            self._reserved.discard(job.lock_key)
            self._cond.notify()

    def cancel(self, run_id: str) -> None:
        with self._cond:
            self._queue = [slot for slot in self._queue if slot.job.run_id != run_id]
            slot = self._running.get(run_id) or next(
                (s for s in self._handed if s.job.run_id == run_id), None
            )
        if slot is not None:
            slot.cancel.set()

    def running_ids(self) -> list[str]:
        with self._cond:
            return [*self._running, *(slot.job.run_id for slot in self._handed)]

    def queued_count(self) -> int:
        with self._cond:
            return len(self._queue)

    def stop(self, timeout_s: float = 10.0) -> list[str]:
        """Cancel what runs, drop what waits, and wait for the workers. Returns the runs
        handed over already recorded running that no worker took (the caller ends them);
        the dropped queued runs stay queued in the store (recovery takes them over)."""
        with self._cond:
            self._stopping = True
            dropped = [slot.job.run_id for slot in self._handed]
            self._queue.clear()
            self._handed.clear()
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
                if self._handed:  # running and locked already: its worker was held for it
                    slot = self._handed.pop(0)
                    self._running[slot.job.run_id] = slot
                    return slot
                busy = {slot.job.lock_key for slot in self._running.values()} | self._reserved
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
