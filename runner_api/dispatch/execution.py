"""Executes one job: mark it running, hand it to its executor, record events and outcome."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runner_api.catalog.models import ActionKind
from runner_api.database import Base
from runner_api.dispatch.run_events import Later, RunEvents
from runner_api.metrics import Metrics
from runner_api.notify.outbox import notices_for
from runner_api.reveals.service import RevealService
from runner_api.runs.context import Executor, LooksAhead, Outcome, Revealer, RunContext
from runner_api.runs.models import Run
from runner_api.runs.service import Job
from runner_api.runs.signals import RunSignals
from runner_api.runs.status import RunStatus
from runner_api.runs.store import EndRows, RunStore
from runner_api.schedules.service import scheduled_rows
from runner_api.types import utcnow

log = logging.getLogger(__name__)

# Ended runs kept for API waiters (POST /runs?wait), so they answer without reading them.
_ENDED_KEPT = 256
# The relays (notices, ticket write-back) are woken a moment after a run's end: its waiter
# answers first instead of sharing the CPU with them. Deliveries are not that urgent.
_RELAYS_AFTER_S = 0.01


def execute_boundary(executors: Mapping[ActionKind, Executor], ctx: RunContext) -> Outcome:
    """Run ctx with the executor of its kind; a missing or crashing executor is a FAILED
    Outcome, never an exception (here and in a site worker)."""
    executor = executors.get(ctx.action.kind)
    if executor is None:
        return Outcome(RunStatus.FAILED, error=f"no executor for {ctx.action.kind} actions here")
    try:
        return executor.execute(ctx)
    except Exception as exc:  # the boundary: an executor bug must still end the run
        log.exception("executor crashed on run %s", ctx.run_id)
        return Outcome(
            RunStatus.FAILED,
            error=f"internal error in the {ctx.action.kind} executor: {type(exc).__name__}",
        )


class JobRunner:
    """Runs jobs with the executor of their kind; never raises, always records an end."""

    def __init__(
        self,
        store: RunStore,
        executors: Mapping[ActionKind, Executor],
        metrics: Metrics | None = None,
        reveals: RevealService | None = None,
        notices_committed: Callable[[], None] | None = None,
        notices_waiting: str | None = None,
        end_rows: Callable[[Job, RunStatus, Outcome], list[Base]] | None = None,
        end_rows_committed: Callable[[], None] | None = None,
        ended: Callable[[Job, RunStatus], None] | None = None,
    ) -> None:
        self.store = store
        # Told of each end this process recorded, after its commit (monitoring feedback).
        self.ended = ended
        # More rows of a run's end (the ticket write-back outbox), and who to wake after.
        self.end_rows = end_rows
        self.end_rows_committed = end_rows_committed
        # Called after a run committed notices (wakes the relay: low latency).
        self.notices_committed = notices_committed
        # Why notices will wait (no mail server): written on them at once.
        self.notices_waiting = notices_waiting
        self.executors = executors
        self.metrics = metrics
        self.reveals = reveals
        self.signals = RunSignals()
        self.later = Later()
        self._ended: OrderedDict[str, Run] = OrderedDict()
        self._ended_lock = threading.Lock()

    def run(self, job: Job, cancel: threading.Event, *, started: bool = False) -> RunStatus:
        """Execute a job whose target lock is held; returns the terminal status.

        started: the dispatcher already moved it to running with the lock (one commit)."""
        if not started and not self.store.transition(
            job.run_id, RunStatus.RUNNING, started_at=utcnow()
        ):
            self.store.release_target(job.run_id)
            return RunStatus(self.store.get(job.run_id).status)
        events = RunEvents(job, self.store, self.signals, self.later)
        ctx = RunContext(
            run_id=job.run_id,
            ticket_id=job.ticket_id,
            customer=job.customer,
            action=job.action,
            target=job.target,
            params=job.params,
            check_mode=job.check_mode,
            redactor=job.redactor,
            timeout_s=job.timeout_s,
            emit=events.emit,
            reveal=self._revealer(job),
            cancel_requested=cancel,
            approved_by=job.approved_by,
        )
        began = time.monotonic()
        self.signals.changed(job.run_id)
        outcome = execute_boundary(self.executors, ctx)
        status = self._finish(job, outcome, events.end())
        if self.metrics is not None:
            self.metrics.finished(job.action.name, status, time.monotonic() - began)
        return status

    def look_ahead(self, job: Job) -> None:
        """Let the job's executor start its first reads (a run about to start here)."""
        executor = self.executors.get(job.action.kind)
        if not isinstance(executor, LooksAhead):
            return
        try:
            executor.look_ahead(job.run_id, job.customer, job.action.name, job.params)
        except Exception:  # only a head start: the run reads again itself
            log.exception("look-ahead failed for run %s", job.run_id)

    def drop_ahead(self, job: Job) -> None:
        """Drop the reads of a job that will not start at once."""
        executor = self.executors.get(job.action.kind)
        if isinstance(executor, LooksAhead):
            executor.drop_ahead(job.run_id)

    def ended_run(self, run_id: str) -> Run | None:
        """The run as this process recorded its end, if it did so recently."""
        with self._ended_lock:
            return self._ended.get(run_id)

    def _revealer(self, job: Job) -> Revealer | None:
        reveals = self.reveals
        if reveals is None:
            return None

        def reveal(secret: str, filename: str | None = None) -> str:
            job.redactor.add(secret)  # from now on it is masked in everything stored
            return reveals.create(job.run_id, job.requested_by, job.requester_id, secret, filename)

        return reveal

    def finish(self, job: Job, outcome: Outcome) -> RunStatus:
        """Record the end of a run executed elsewhere (a site worker's report)."""
        return self._finish(job, outcome)

    def _finish(
        self, job: Job, outcome: Outcome, events: Sequence[Mapping[str, Any]] = ()
    ) -> RunStatus:
        """Record the end, with the run's last `events`, in one transaction."""
        redact = job.redactor
        status = outcome.status if outcome.status.terminal else RunStatus.FAILED
        details = dict(outcome.details)
        if job.approved_by is not None:
            # Why it waited and who approved it stay on the run, next to its outcome.
            details = {"approval": self.store.get(job.run_id).details.get("approval"), **details}
        extra = self.end_rows(job, status, outcome) if self.end_rows is not None else []

        def rows_for(run: Run) -> EndRows:
            # Built from the run as the end's UPDATE returned it: no read before the end.
            if status is not RunStatus.SUCCEEDED or not (outcome.follow_ups or outcome.affected):
                return EndRows(extra)
            notices = notices_for(run, outcome, redact.text, self.notices_waiting)
            rows = [*extra, *scheduled_rows(run, outcome.follow_ups), *notices.rows]
            # On the run and in its audited end: a notice that failed is flagged there.
            summary = {"notifications": redact.data(notices.summary)} if notices.summary else {}
            return EndRows(rows, summary)

        ended = self.store.end(
            job.run_id,
            status,
            {
                "changed": outcome.changed,
                "summary": redact.text(outcome.summary),
                "diff": redact.data(dict(outcome.diff)) if outcome.diff is not None else None,
                "error": redact.text(outcome.error) if outcome.error else None,
                "details": redact.data(details),
                "versions": dict(outcome.versions),
            },
            events=events,
            rows_for=rows_for,
        )
        if ended is None:
            # Someone else ended it meanwhile (e.g. recovery); never overwrite an end.
            if events:
                self.store.add_events(events)
            self.store.release_target(job.run_id)
            self.signals.changed(job.run_id, ended=True)
            return RunStatus(self.store.get(job.run_id).status)
        with self._ended_lock:
            self._ended[job.run_id] = ended
            while len(self._ended) > _ENDED_KEPT:
                self._ended.popitem(last=False)
        self.signals.changed(job.run_id, ended=True)
        if ended.details.get("notifications") and self.notices_committed is not None:
            self.later.call(_RELAYS_AFTER_S, self.notices_committed)
        if extra and self.end_rows_committed is not None:
            self.later.call(_RELAYS_AFTER_S, self.end_rows_committed)
        if self.ended is not None:
            self.ended(job, status)
        return status
