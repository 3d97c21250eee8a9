"""The API's side of site workers: claim, events, reveals, end, heartbeat, and the sweep.

Every call names the worker; a run is reported on only by the worker that claimed it.
A worker's name is bound to its token: it starts with the token's id
(`<token id>/<host:pid:start>`, sites/runtime.py), so one token can neither report for,
keep alive nor interrupt the runs of another token's workers (nor of the API itself).
Scope: a worker token is limited to its site's customers, and a run of another site does
not exist for it (404), so a site-A worker can never be handed a site-B run.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from runner_api.auth.authorize import denial, require_run_visible
from runner_api.auth.errors import PermissionDeniedError
from runner_api.auth.principal import Principal
from runner_api.customers.registry import CustomerRegistry
from runner_api.dispatch.execution import JobRunner
from runner_api.errors import ConflictError, RunNotFoundError
from runner_api.reveals.service import RevealService
from runner_api.runs.models import Run, RunEvent
from runner_api.runs.service import Job, RunService
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from runner_api.sites.jobs import SiteJobs
from runner_api.sites.queues import Publisher
from runner_api.sites.wire import (
    ClaimIn,
    EventsIn,
    FinishIn,
    FinishOut,
    HeartbeatIn,
    HeartbeatOut,
    JobOut,
    RevealIn,
    RevealOut,
    WireEvent,
)
from runner_api.types import utcnow

log = logging.getLogger(__name__)

# A claimed run the worker no longer lists in its heartbeat after this long was lost by it
# (e.g. the claim's answer never arrived): it is interrupted, never run again.
_LOST_AFTER_S = 15.0


class TargetBusyError(ConflictError):
    """Another run works on the target: claim again shortly."""

    code = "target_busy"


def _bound(principal: Principal, worker: str) -> None:
    """PermissionDeniedError (audited) unless the worker's name is one of the token's."""
    if not principal.credential_id or not worker.startswith(f"{principal.credential_id}/"):
        raise denial(
            PermissionDeniedError(
                f"worker {worker!r} is not a worker of this token: its workers' names start "
                f"with {principal.credential_id}/",
                reason="worker_id",
            ),
            "worker_id",
        )


class SiteRuns:
    """What site workers may do with the runs of their site."""

    def __init__(
        self,
        store: RunStore,
        runs: RunService,
        customers: CustomerRegistry,
        runner: JobRunner,
        reveals: RevealService,
        jobs: SiteJobs,
        publisher: Publisher | None,
        *,
        republish_s: float,
        queue_timeout_s: float,
    ) -> None:
        self.store = store
        self.runs = runs
        self.customers = customers
        self.runner = runner
        self.reveals = reveals
        self.jobs = jobs
        self.publisher = publisher
        self.republish_s = republish_s
        self.queue_timeout_s = queue_timeout_s
        # Jobs of claimed runs (their redactors), so reports need not unseal every time.
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def claim(self, principal: Principal, run_id: str, body: ClaimIn) -> JobOut:
        """queued -> running for this worker, once; answers the job with its parameters."""
        run = self._visible(principal, run_id)
        if self.customers.get(run.customer).site != body.site:
            raise denial(RunNotFoundError(f"no run {run_id}"), "site_scope")
        _bound(principal, body.worker)
        if run.status != RunStatus.QUEUED:
            raise ConflictError(f"run {run_id} is {run.status}; only a queued run is claimed")
        params, approved_by = self.jobs.params(run_id)
        job = self.runs.approved_job(run, params, approved_by)
        started = self.store.lock_and_start(
            job.lock_key, run_id, worker=body.worker, heartbeat_at=utcnow()
        )
        if started is None:
            raise TargetBusyError(f"another run works on {run.target}; claim again shortly")
        if not started:
            raise ConflictError(f"run {run_id} may no longer start (canceled or ended)")
        with self._lock:
            self._jobs[run_id] = job
        self.runner.signals.changed(run_id)
        return JobOut(
            run_id=run.id,
            ticket_id=run.ticket_id,
            customer=run.customer,
            action=run.action,
            target=run.target,
            params=params,
            check_mode=run.check_mode,
            timeout_s=run.timeout_s,
            requested_by=run.requested_by,
            approved_by=approved_by,
        )

    def add_events(self, principal: Principal, run_id: str, body: EventsIn) -> None:
        run = self._owned(principal, run_id, body.worker)
        self._store_events(self._job(run), body.events)

    def reveal(self, principal: Principal, run_id: str, body: RevealIn) -> RevealOut:
        run = self._owned(principal, run_id, body.worker)
        secret = body.secret.get_secret_value()
        self._job(run).redactor.add(secret)  # masked in whatever the worker reports next
        reveal_id = self.reveals.create(
            run_id, run.requested_by, run.requester_id, secret, body.filename
        )
        return RevealOut(reveal_id=reveal_id)

    def finish(self, principal: Principal, run_id: str, body: FinishIn) -> FinishOut:
        """Record the run's end from the worker's outcome; a repeated call answers the same."""
        run = self._visible(principal, run_id)
        _bound(principal, body.worker)
        if run.worker != body.worker:
            raise ConflictError(f"run {run_id} is not run by {body.worker}")
        if RunStatus(run.status).terminal:
            return FinishOut(run_id=run_id, status=RunStatus(run.status))
        job = self._job(run)
        self._store_events(job, body.events)
        status = self.runner.finish(job, body.outcome.outcome())
        self._forget(run_id)
        self.runner.signals.changed(run_id, ended=True)
        if self.runner.metrics is not None and run.started_at is not None:
            seconds = (utcnow() - run.started_at).total_seconds()
            self.runner.metrics.finished(job.action.name, status, seconds)
        return FinishOut(run_id=run_id, status=status)

    def heartbeat(self, principal: Principal, body: HeartbeatIn) -> HeartbeatOut:
        """Keep the worker's runs owned, end the ones it lost, pass on cancel requests."""
        _bound(principal, body.worker)
        self.store.heartbeat(body.worker)
        running = set(body.running)
        cutoff = utcnow() - timedelta(seconds=_LOST_AFTER_S)
        mine: list[str] = []
        for run in self.store.unfinished(body.worker):
            if not principal.sees_customer(run.customer):
                continue
            if run.id in running:
                mine.append(run.id)
            elif run.status == RunStatus.RUNNING and (run.started_at or cutoff) < cutoff:
                self._interrupt(run.id, f"worker {body.worker} lost this run; it was not re-run")
        return HeartbeatOut(cancel=sorted(self.store.cancel_requested(mine)))

    def sweep(self) -> None:
        """A heartbeat chore: publish again what no worker claimed, fail what waited too long,
        and wipe the sealed parameters of runs that ended."""
        now = utcnow()
        for run_id, site, status, created_at, published_at in self.jobs.waiting():
            if RunStatus(status).terminal:
                self._forget(run_id)
            elif status != RunStatus.QUEUED:
                continue  # running: its owner's liveness is recover_orphans' business
            elif now - created_at > timedelta(seconds=self.queue_timeout_s):
                self._interrupt(
                    run_id,
                    f"no worker of site {site!r} took this run within "
                    f"{self.queue_timeout_s:.0f} s; nothing was changed",
                    RunStatus.FAILED,
                )
            elif self.publisher is not None and self.jobs.due(published_at, self.republish_s):
                self.jobs.publishing(run_id)
                self.publisher.publish(site, run_id)

    def _interrupt(
        self, run_id: str, reason: str, status: RunStatus = RunStatus.INTERRUPTED
    ) -> None:
        if self.store.transition(run_id, status, error=reason):
            log.warning("run %s %s: %s", run_id, status.value, reason)
            self.runner.signals.changed(run_id, ended=True)
        self._forget(run_id)

    def _visible(self, principal: Principal, run_id: str) -> Run:
        run = self.store.get(run_id)
        require_run_visible(principal, run_id, run.customer)
        return run

    def _owned(self, principal: Principal, run_id: str, worker: str) -> Run:
        run = self._visible(principal, run_id)
        _bound(principal, worker)
        if run.status != RunStatus.RUNNING or run.worker != worker:
            raise ConflictError(f"run {run_id} is {run.status}, not running on {worker}")
        return run

    def _job(self, run: Run) -> Job:
        with self._lock:
            job = self._jobs.get(run.id)
        if job is None:  # claimed through another API process, or before a restart
            params, approved_by = self.jobs.params(run.id)
            job = self.runs.approved_job(run, params, approved_by)
            with self._lock:
                job = self._jobs.setdefault(run.id, job)
        return job

    def _forget(self, run_id: str) -> None:
        self.jobs.forget(run_id)
        with self._lock:
            self._jobs.pop(run_id, None)

    def _store_events(self, job: Job, events: list[WireEvent]) -> None:
        redact = job.redactor
        for event in events:
            row = RunEvent(
                run_id=job.run_id,
                seq=event.seq,
                created_at=utcnow(),
                kind=event.kind,
                task=redact.text(event.task) if event.task else None,
                host=event.host,
                message=redact.text(event.message),
                data=redact.data(event.data),
            )
            try:
                self.store.add_event(row)
            except IntegrityError:
                continue  # the same event again (a retried call): stored once
        if events:
            self.runner.signals.changed(job.run_id)
