"""Executes one job: mark it running, hand it to its executor, record events and outcome."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from runner_api.catalog.models import ActionKind
from runner_api.database import Base
from runner_api.metrics import Metrics
from runner_api.notify.outbox import notices_for
from runner_api.reveals.service import RevealService
from runner_api.runs.context import EventIn, Executor, Outcome, RunContext
from runner_api.runs.models import RunEvent
from runner_api.runs.service import Job
from runner_api.runs.signals import RunSignals
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from runner_api.schedules.service import scheduled_rows
from runner_api.types import utcnow

log = logging.getLogger(__name__)


class JobRunner:
    """Runs jobs with the executor of their kind; never raises, always records an end."""

    def __init__(
        self,
        store: RunStore,
        executors: Mapping[ActionKind, Executor],
        metrics: Metrics | None = None,
        reveals: RevealService | None = None,
        notices_committed: Callable[[], None] | None = None,
        end_rows: Callable[[Job, RunStatus, Outcome], list[Base]] | None = None,
        end_rows_committed: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        # More rows of a run's end (the ticket write-back outbox), and who to wake after.
        self.end_rows = end_rows
        self.end_rows_committed = end_rows_committed
        # Called after a run committed notices (wakes the relay: low latency).
        self.notices_committed = notices_committed
        self.executors = executors
        self.metrics = metrics
        self.reveals = reveals
        self.signals = RunSignals()

    def run(self, job: Job, cancel: threading.Event, *, started: bool = False) -> RunStatus:
        """Execute a job whose target lock is held; returns the terminal status.

        started: the dispatcher already moved it to running with the lock (one commit)."""
        if not started and not self.store.transition(
            job.run_id, RunStatus.RUNNING, started_at=utcnow()
        ):
            self.store.release_target(job.run_id)
            return RunStatus(self.store.get(job.run_id).status)
        lock, counter = threading.Lock(), [0]

        def emit(event: EventIn) -> None:
            with lock:
                counter[0] += 1
                seq = counter[0]
            self.store.add_event(
                RunEvent(
                    run_id=job.run_id,
                    seq=seq,
                    created_at=utcnow(),
                    kind=event.kind[:32],
                    task=job.redactor.text(event.task)[:255] if event.task else None,
                    host=event.host[:255] if event.host else None,
                    message=job.redactor.text(event.message),
                    data=job.redactor.data(dict(event.data)),
                )
            )
            self.signals.changed(job.run_id)

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
            emit=emit,
            reveal=self._revealer(job),
            cancel_requested=cancel,
            approved_by=job.approved_by,
        )
        began = time.monotonic()
        self.signals.changed(job.run_id)
        outcome = self._execute(ctx)
        status = self._finish(job, outcome)
        self.signals.changed(job.run_id, ended=True)
        if self.metrics is not None:
            self.metrics.finished(job.action.name, status, time.monotonic() - began)
        return status

    def _revealer(self, job: Job) -> Callable[[str], str] | None:
        reveals = self.reveals
        if reveals is None:
            return None

        def reveal(secret: str) -> str:
            job.redactor.add(secret)  # from now on it is masked in everything stored
            return reveals.create(job.run_id, job.requested_by, secret)

        return reveal

    def _execute(self, ctx: RunContext) -> Outcome:
        executor = self.executors.get(ctx.action.kind)
        if executor is None:
            return Outcome(
                RunStatus.FAILED, error=f"no executor for {ctx.action.kind} actions here"
            )
        try:
            return executor.execute(ctx)
        except Exception as exc:  # the boundary: an executor bug must still end the run
            log.exception("executor crashed on run %s", ctx.run_id)
            return Outcome(
                RunStatus.FAILED,
                error=f"internal error in the {ctx.action.kind} executor: {type(exc).__name__}",
            )

    def _finish(self, job: Job, outcome: Outcome) -> RunStatus:
        redact = job.redactor
        status = outcome.status if outcome.status.terminal else RunStatus.FAILED
        rows: list[Base] = []
        details = dict(outcome.details)
        if job.approved_by is not None:
            # Why it waited and who approved it stay on the run, next to its outcome.
            details = {"approval": self.store.get(job.run_id).details.get("approval"), **details}
        if status is RunStatus.SUCCEEDED and (outcome.follow_ups or outcome.affected):
            run = self.store.get(job.run_id)
            rows += scheduled_rows(run, outcome.follow_ups)
            notices = notices_for(run, outcome, redact.text)
            rows += notices.rows
            if notices.summary:
                # On the run and in its audited end: P6 wants a failed notice flagged there.
                details["notifications"] = notices.summary
        extra = self.end_rows(job, status, outcome) if self.end_rows is not None else []
        rows += extra
        moved = self.store.transition(
            job.run_id,
            status,
            also_add=rows,
            changed=outcome.changed,
            summary=redact.text(outcome.summary),
            diff=redact.data(dict(outcome.diff)) if outcome.diff is not None else None,
            error=redact.text(outcome.error) if outcome.error else None,
            details=redact.data(details),
            versions=dict(outcome.versions),
        )
        if not moved:
            # Someone else ended it meanwhile (e.g. recovery); never overwrite an end.
            self.store.release_target(job.run_id)
            return RunStatus(self.store.get(job.run_id).status)
        if details.get("notifications") and self.notices_committed is not None:
            self.notices_committed()
        if extra and self.end_rows_committed is not None:
            self.end_rows_committed()
        return status
