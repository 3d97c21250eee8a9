"""Waiting on runs: for their end (POST /runs?wait) and for each change (the live stream).

Woken by this process's signals; the store is read again at least every RECHECK_S, because
runs executed by other processes (a site worker, another API process) send none here.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from starlette.concurrency import run_in_threadpool

from runner_api.runs.models import Run, RunEvent
from runner_api.runs.signals import RunSignals
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore

RECHECK_S = 0.5


class RunWatch:
    """Async waits on runs, for the API (the event loop's side of the run spine)."""

    def __init__(
        self, store: RunStore, signals: RunSignals, ended: Callable[[str], Run | None]
    ) -> None:
        self.store = store
        self.signals = signals
        # The run as this process recorded its end: handed over without a read.
        self.ended = ended

    async def wait_for_end(self, run: Run, wait_s: float) -> Run:
        """The run when it ended, or as it stands when wait_s ran out. A run awaiting
        approval waits for a person, not for wait_s: it comes back at once."""
        deadline = time.monotonic() + wait_s
        while (
            wait_s
            and run.status != RunStatus.AWAITING_APPROVAL
            and not RunStatus(run.status).terminal
        ):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await self.signals.wait(run.id, min(left, RECHECK_S), until_ended=True)
            ended = self.ended(run.id)
            run = ended if ended is not None else await run_in_threadpool(self.store.get, run.id)
        return run

    async def follow(self, run_id: str, after: int) -> AsyncIterator[tuple[Run, list[RunEvent]]]:
        """The run and its new events after each change, until it ended and every event was
        given; an empty batch now and then while nothing happens (for keep-alives)."""
        last = after
        while True:
            run = await run_in_threadpool(self.store.get, run_id)
            events = await run_in_threadpool(self.store.events, run_id, last)
            if events:
                last = events[-1].seq
            yield run, events
            if RunStatus(run.status).terminal and not events:
                return
            if not events:
                await self.signals.wait(run_id, RECHECK_S)
