"""`fixline worker --site NAME`: executes its site's runs, reports everything to the API.

The worker holds no record: it claims a run (the API moves it to running, once), runs it
with its own executors and credentials, streams the redacted events, and reports the end.
A worker killed mid-run leaves the run `running` under its name; the API ends it
`interrupted` (same host: the process is gone; elsewhere: its heartbeat stops). The broker
message was acknowledged on receipt, so nothing runs it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from runner_api.catalog.models import ActionKind
from runner_api.catalog.registry import Catalog
from runner_api.customers.registry import CustomerRegistry
from runner_api.dispatch.execution import execute_boundary
from runner_api.errors import FixlineError
from runner_api.runs.context import EventIn, Executor, Outcome, RunContext
from runner_api.runs.service import clear_params
from runner_api.runs.status import RunStatus
from runner_api.secrets.redactor import Redactor
from runner_api.sites.client import ApiClient, SiteApiError, TargetBusyError
from runner_api.sites.wire import JobOut, WireEvent, WireOutcome

log = logging.getLogger(__name__)

# How often the worker says it lives (and learns of cancels) and sends buffered events.
BEAT_S = 1.0
FLUSH_S = 0.25
# Claims of a busy target are tried again this often, for at most this long.
_BUSY_RETRY_S = 0.2
_BUSY_GIVE_UP_S = 900.0


@dataclass
class _Active:
    """One run this worker executes: its cancel flag and its events not yet sent."""

    redactor: Redactor
    cancel: threading.Event = field(default_factory=threading.Event)
    pending: list[WireEvent] = field(default_factory=list)
    seq: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Held while events are on their way, so the end is reported only after them.
    sending: threading.Lock = field(default_factory=threading.Lock)

    def add(self, event: EventIn) -> None:
        redact = self.redactor
        with self.lock:
            self.seq += 1
            self.pending.append(
                WireEvent.of(
                    self.seq,
                    EventIn(
                        kind=event.kind,
                        message=redact.text(event.message),
                        task=redact.text(event.task) if event.task else None,
                        host=event.host,
                        data=redact.data(dict(event.data)),
                    ),
                )
            )

    def drain(self) -> list[WireEvent]:
        with self.lock:
            pending, self.pending = self.pending, []
        return pending

    def put_back(self, events: list[WireEvent]) -> None:
        with self.lock:
            self.pending[:0] = events


class SiteWorker:
    """Executes the runs one site's queue names."""

    def __init__(
        self,
        client: ApiClient,
        catalog: Catalog,
        customers: CustomerRegistry,
        executors: Mapping[ActionKind, Executor],
    ) -> None:
        self.client = client
        self.catalog = catalog
        self.customers = customers
        self.executors = executors
        self._active: dict[str, _Active] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the heartbeat and the event flusher."""
        for target, name in ((self._beat, "heartbeat"), (self._flush, "events")):
            thread = threading.Thread(target=target, name=f"fixline-site-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)

    def execute(self, run_id: str) -> RunStatus | None:
        """The task body: claim, run, report. None when the run was not ours to run."""
        job = self._claim(run_id)
        if job is None:
            return None
        try:
            ctx, active = self._context(job)
        except FixlineError as exc:
            # E.g. a customer this worker has no inventory for: the run ends, with why.
            active = _Active(Redactor())
            outcome = Outcome(RunStatus.FAILED, error=f"this site worker cannot run it: {exc}")
            return self._report(job.run_id, active, outcome)
        with self._lock:
            self._active[run_id] = active
        try:
            outcome = execute_boundary(self.executors, ctx)
            return self._report(run_id, active, outcome)
        finally:
            with self._lock:
                self._active.pop(run_id, None)

    def _claim(self, run_id: str) -> JobOut | None:
        give_up = time.monotonic() + _BUSY_GIVE_UP_S
        while True:
            try:
                return self.client.claim(run_id)
            except TargetBusyError:
                if time.monotonic() > give_up or self._stop.is_set():
                    return None  # still queued: the API's sweep publishes it again
                time.sleep(_BUSY_RETRY_S)
            except SiteApiError as exc:
                log.warning("claim of run %s failed: %s", run_id, exc.message)
                return None  # still queued: published again by the sweep

    def _context(self, job: JobOut) -> tuple[RunContext, _Active]:
        spec = self.catalog.get(job.action)
        customer = self.customers.get(job.customer)
        params = clear_params(spec.params_model.model_validate(job.params))
        secrets = (params[name] for name in spec.secret_fields() if params.get(name))
        active = _Active(Redactor(secrets))
        run_id = job.run_id

        def reveal(secret: str, filename: str | None = None) -> str:
            active.redactor.add(secret)
            return self.client.reveal(run_id, secret, filename)

        ctx = RunContext(
            run_id=run_id,
            ticket_id=job.ticket_id,
            customer=customer,
            action=spec,
            target=job.target,
            params=params,
            check_mode=job.check_mode,
            redactor=active.redactor,
            timeout_s=job.timeout_s,
            emit=active.add,
            reveal=reveal,
            cancel_requested=active.cancel,
            approved_by=job.approved_by,
        )
        return ctx, active

    def _report(self, run_id: str, active: _Active, outcome: Outcome) -> RunStatus | None:
        redact = active.redactor
        wire = WireOutcome.of(outcome)
        wire.summary = redact.text(wire.summary)
        wire.error = redact.text(wire.error) if wire.error else None
        wire.diff = redact.data(wire.diff) if wire.diff is not None else None
        wire.details = redact.data(wire.details)
        try:
            with active.sending:
                return self.client.finish(run_id, active.drain(), wire).status
        except SiteApiError as exc:
            # Logged without the outcome's text; the API interrupts the run it never heard of.
            log.error("run %s ended %s but could not be reported: %s", run_id, outcome.status, exc)
            return None

    def _beat(self) -> None:
        while not self._stop.wait(BEAT_S):
            with self._lock:
                running = dict(self._active)
            try:
                for run_id in self.client.heartbeat(sorted(running)):
                    if run_id in running:
                        running[run_id].cancel.set()
            except SiteApiError as exc:
                log.warning("heartbeat failed: %s", exc.message)

    def _flush(self) -> None:
        while not self._stop.wait(FLUSH_S):
            with self._lock:
                running = dict(self._active)
            for run_id, active in running.items():
                with active.sending:
                    events = active.drain()
                    if not events:
                        continue
                    try:
                        self.client.events(run_id, events)
                    except SiteApiError as exc:
                        active.put_back(events)  # sent with the next batch or the end
                        log.warning("events of run %s not sent yet: %s", run_id, exc.message)
