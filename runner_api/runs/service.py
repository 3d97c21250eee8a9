"""`RunService.start_run` is the only way anything runs: validate, check policy, record, queue."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, SecretStr, ValidationError

from runner_api.catalog.choices import HOST_PARAM, choices
from runner_api.catalog.models import ActionKind, ActionSpec
from runner_api.catalog.registry import Catalog
from runner_api.catalog.vetting import VettingLock
from runner_api.customers.models import Customer
from runner_api.customers.registry import CustomerRegistry
from runner_api.errors import (
    ConflictError,
    FixlineError,
    InvalidParamsError,
    InvalidRequestError,
    NotAllowlistedError,
    RefusedError,
)
from runner_api.runs.attempt import Attempt
from runner_api.runs.filters import RunFilter
from runner_api.runs.gate import Gate
from runner_api.runs.limits import RateLimits
from runner_api.runs.models import Run, RunEvent
from runner_api.runs.queued import open_job, seal_job
from runner_api.runs.schemas import Channel
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from runner_api.runs.ticket_ids import check_ticket_id
from runner_api.runs.watch import RunWatch
from runner_api.secrets.cipher import SecretBox
from runner_api.secrets.redactor import MASK, Redactor
from runner_api.types import utcnow


@dataclass(frozen=True)
class RunRequest:
    """Who asks to run what, for which ticket, through which channel."""

    customer: str
    ticket_id: str
    action: str
    params: dict[str, Any]
    requested_by: str  # a name, for people to read
    channel: Channel
    # The requester's principal id (auth/principal.py): the run, its reveals and its
    # cancel-own right bind to it. Channels without callers use their own: "webhook:<source>".
    requester_id: str
    check_mode: bool = False
    # The person behind the requester (a token's creator): no approval by the same person.
    # Empty: the requester is a person of its own (a session, a webhook source, the CLI).
    requester_person: str = ""


@dataclass(frozen=True)
class Job:
    """A queued run as the dispatcher needs it; holds secrets in memory only."""

    run_id: str
    ticket_id: str
    customer: Customer
    action: ActionSpec
    target: str
    # Secrets in clear: kept out of repr, so a logged Job never shows them.
    params: dict[str, Any] = field(repr=False)
    check_mode: bool
    redactor: Redactor
    timeout_s: int
    # JSON values, secrets in clear: what a site's queue seals (never stored in clear).
    sealable: dict[str, Any] = field(repr=False)
    requested_by: str = ""
    requester_id: str = ""
    # Set when the run waited for approval; the executor's guardrails may check it.
    approved_by: str | None = None

    @property
    def lock_key(self) -> str:
        """What no two runs may change at once. Names are case-insensitive wherever Fixline
        acts (AD, Entra ID, Exchange, host names), and in a hybrid customer an account's
        login and its user principal name name one account: `jdoe` and `JDoe@contoso.com`
        lock alike. (A UPN whose local part is not the login locks apart from it: telling
        would need a directory read before the run is even recorded.)"""
        target = self.target.lower()
        if self.action.kind is ActionKind.DIRECTORY:
            target = target.partition("@")[0]
        return f"{self.customer.name}/{target}"


class Dispatcher(Protocol):
    def submit(self, job: Job) -> None:
        """Queue a job; it starts when a worker and its target are free."""
        ...

    def reserve(self, job: Job) -> bool:
        """Hold a free worker of this process for the job, if there is one right now; the
        caller then records the run running with its lock and calls `hand`, or `release`."""
        ...

    def hand(self, job: Job) -> None:
        """Give the reserved worker its job (recorded running, target locked)."""
        ...

    def release(self, job: Job) -> None:
        """Give back a reservation that was not used."""
        ...

    def cancel(self, run_id: str) -> None:
        """Stop a queued or running job of this dispatcher, if it has it."""
        ...


def clear_params(model: BaseModel) -> dict[str, Any]:
    """A validated model's values for executors: Python types, secrets in clear (memory only)."""
    values = model.model_dump(mode="python")
    return {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in values.items()}


@dataclass(frozen=True)
class _Prepared:
    """Validated parameters of one request, in the forms each consumer needs."""

    params: dict[str, Any]  # clear values: memory only
    redactor: Redactor
    target: str
    stored: dict[str, Any]  # JSON, secret values masked: what the run row keeps
    sealable: dict[str, Any]  # JSON, secrets in clear: sealed while a run awaits approval


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    # Never echo the input back: it may be a secret typed into the wrong field.
    return [
        {"loc": ["params", *error["loc"]], "msg": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False, include_input=False)
    ]


def encode_cursor(run: Run) -> str:
    return base64.urlsafe_b64encode(f"{run.created_at.isoformat()}|{run.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, run_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created), run_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequestError("cursor is not one this API returned") from exc


class RunService:
    """Runs: start, read, list, cancel."""

    def __init__(
        self,
        store: RunStore,
        catalog: Catalog,
        customers: CustomerRegistry,
        vetting: VettingLock,
        dispatcher: Dispatcher,
        worker_id: str,
        default_timeout_s: int,
        *,
        limits: RateLimits | None = None,
        gate: Gate | None = None,
        box: SecretBox | None = None,
        watch: RunWatch | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.customers = customers
        self.vetting = vetting
        self.dispatcher = dispatcher
        self.worker_id = worker_id
        self.default_timeout_s = default_timeout_s
        # None: no rate limits / no approvals (unit tests of other features; Core sets both).
        self.limits = limits
        self.gate = gate
        # Seals a queued run's job into its row, so a restart can start it (runs/queued.py).
        # None: queued runs are not kept (unit tests of other features; Core sets it).
        self.box = box
        # Waits on runs for the API (None: a process that serves no API waits on nothing).
        self.watch = watch

    def check(self, request: RunRequest) -> _Prepared:
        """Validate a request as start_run does, writing nothing (a webhook answers on it and
        is started later from its queue)."""
        return self._checked(request)[2]

    def _checked(self, request: RunRequest) -> tuple[ActionSpec, Customer, _Prepared]:
        # Here, not per channel: a webhook rule's ticket field or a CLI argument did skip it.
        check_ticket_id(request.ticket_id)
        spec = self.catalog.get(request.action)
        customer = self.customers.get(request.customer)
        if request.check_mode and not spec.supports_check_mode:
            raise InvalidRequestError(f"action {spec.name!r} has no check mode")
        return spec, customer, self._prepare(spec, customer, request.params)

    def start_run(
        self, request: RunRequest, run_id: str | None = None, *, start_now: bool = False
    ) -> Run:
        """Validate, rate-limit, apply policy, record and queue one run (or hold it for
        approval). Refusals are recorded too. `run_id`: an id already handed out (webhooks).

        start_now: when a worker of this process and the target are free, record the run
        running in the same transaction and hand it over (for a caller that waits for the
        end anyway: the answer never shows it queued)."""
        spec, customer, prepared = self._checked(request)
        if self.limits is not None:
            self.limits.check(
                Attempt(
                    customer=customer.name,
                    ticket_id=request.ticket_id,
                    action=spec.name,
                    target=prepared.target,
                    requested_by=request.requested_by,
                    channel=request.channel,
                    check_mode=request.check_mode,
                    requester_id=request.requester_id,
                )
            )
        run = Run(
            id=run_id or str(uuid.uuid4()),
            customer=customer.name,
            ticket_id=request.ticket_id,
            action=spec.name,
            target=prepared.target,
            params=prepared.stored,
            check_mode=request.check_mode,
            requested_by=request.requested_by,
            requester_id=request.requester_id,
            channel=request.channel.value,
            status=RunStatus.QUEUED.value,
            summary="",
            details={},
            versions={},
            timeout_s=min(spec.timeout_s, self.default_timeout_s),
            cancel_requested=False,
            worker=self.worker_id,
            heartbeat_at=utcnow(),
            created_at=utcnow(),
        )
        try:
            self._check_policy(spec, customer, prepared.params)
        except RefusedError as exc:
            run.status = RunStatus.REFUSED.value
            run.error = prepared.redactor.text(exc.message)
            run.finished_at = run.created_at
            self.store.insert(run)
            exc.details["run_id"] = run.id
            raise
        person = request.requester_person or request.requester_id
        if self.gate is not None and self._hold_for_approval(run, spec, customer, prepared, person):
            return run
        job = self._job(run, customer, spec, prepared)
        if start_now and self.dispatcher.reserve(job):
            try:
                started = self.store.insert_started(run, job.lock_key)
            except BaseException:
                self.dispatcher.release(job)
                raise
            if started:
                self.dispatcher.hand(job)
                return run
            self.dispatcher.release(job)  # another process holds the target: queue it
        run.sealed_job = self.sealed_job(job)
        self.store.insert(run)
        self.dispatcher.submit(job)
        return run

    def sealed_job(self, job: Job) -> bytes | None:
        """What a queued run's row keeps so another process can start it (None: no key)."""
        if self.box is None:
            return None
        return seal_job(self.box, job.run_id, job.sealable, job.approved_by)

    def resumed_job(self, run: Run) -> Job:
        """The Job of a queued run, built again from the job sealed in its row."""
        if self.box is None or run.sealed_job is None:
            raise ConflictError(f"run {run.id} keeps no job to start again", run_id=run.id)
        params, approved_by = open_job(self.box, run.id, run.sealed_job)
        return self.approved_job(run, params, approved_by)

    def resume(self, run: Run) -> bool:
        """Take over a queued run of a stopped process (it never started) and dispatch it;
        False when another process took it first. A job that can no longer be built (the
        catalog changed) ends the run failed with the reason instead."""
        try:
            job = self.resumed_job(run)  # before taking it: a failure leaves nothing half done
        except FixlineError as exc:
            # Validation messages never echo a value; the reason names what changed.
            error = f"could not be started again after a restart: {exc.message}"
            self.store.transition(run.id, RunStatus.FAILED, error=error)
            return False
        if not self.store.take_over(run, self.worker_id):
            return False
        self.dispatcher.submit(job)
        return True

    def _hold_for_approval(
        self, run: Run, spec: ActionSpec, customer: Customer, prepared: _Prepared, person: str
    ) -> bool:
        """Record the run as awaiting approval when a rule asks for it; True if it waits."""
        assert self.gate is not None
        held = self.gate.hold(
            run, spec, customer, prepared.params, prepared.target, prepared.sealable, person
        )
        if held is None:
            return False
        run.status = RunStatus.AWAITING_APPROVAL.value
        run.details = held.details
        self.store.insert(run, also_add=held.rows, also_record=held.records)
        return True

    def approved_job(self, run: Run, params: dict[str, Any], approved_by: str | None) -> Job:
        """The Job of a run held with its parameters sealed (approved, handed to a site, or
        queued by a process that stopped), built again from them."""
        spec = self.catalog.get(run.action)
        customer = self.customers.get(run.customer)
        prepared = self._prepare(spec, customer, params)
        return self._job(run, customer, spec, prepared, approved_by)

    def _prepare(
        self, spec: ActionSpec, customer: Customer, raw_params: dict[str, Any]
    ) -> _Prepared:
        try:
            model = spec.params_model.model_validate(raw_params)
        except ValidationError as exc:
            raise InvalidParamsError(
                f"parameters of {spec.name!r} are invalid", _field_errors(exc)
            ) from None
        params = clear_params(model)
        secret_fields = spec.secret_fields()
        redactor = Redactor(params[name] for name in secret_fields if params.get(name))
        target = str(params[spec.target_param])
        hosts = choices(spec, customer).get(HOST_PARAM)
        host = str(params.get(HOST_PARAM))
        if hosts is not None and host not in hosts.values:
            # Redacted: a secret typed into the host field must not come back in the error.
            raise InvalidParamsError(
                redactor.text(
                    f"host {host!r} is not in the inventory of customer {customer.name!r}"
                ),
                [{"loc": ["params", HOST_PARAM], "msg": "unknown host", "type": "host"}],
            )
        # Stored as JSON (datetimes as ISO text), secret values masked.
        as_json = model.model_dump(mode="json")
        secrets = {k: params[k] for k in secret_fields if params.get(k)}
        return _Prepared(
            params=params,
            redactor=redactor,
            target=target,
            stored={k: (MASK if k in secrets else v) for k, v in as_json.items()},
            sealable={**as_json, **secrets},
        )

    def _job(
        self,
        run: Run,
        customer: Customer,
        spec: ActionSpec,
        prepared: _Prepared,
        approved_by: str | None = None,
    ) -> Job:
        """The one builder of Jobs: at start, and again once a held run is approved."""
        return Job(
            run_id=run.id,
            ticket_id=run.ticket_id,
            customer=customer,
            action=spec,
            target=prepared.target,
            params=prepared.params,
            check_mode=run.check_mode,
            redactor=prepared.redactor,
            timeout_s=run.timeout_s,
            requested_by=run.requested_by,
            requester_id=run.requester_id,
            approved_by=approved_by,
            sealable=prepared.sealable,
        )

    def _check_policy(self, spec: ActionSpec, customer: Customer, params: dict[str, Any]) -> None:
        for param, choice in choices(spec, customer).items():
            value = str(params.get(param))
            if choice.allowlist is not None and value not in choice.values:
                raise NotAllowlistedError(
                    f"{param} {value!r} is not on the {choice.allowlist!r} allow-list of "
                    f"customer {customer.name!r}; nothing was changed",
                    param=param,
                )
        if spec.playbook is not None:
            self.vetting.verify(spec.name, spec.playbook)

    async def wait_for_end(self, run: Run, wait_s: float) -> Run:
        """The run when it ended, or as it stands after wait_s (held runs come back at once)."""
        if self.watch is None:
            return run
        return await self.watch.wait_for_end(run, wait_s)

    def follow(self, run_id: str, after: int) -> AsyncIterator[tuple[Run, list[RunEvent]]]:
        """The run and its new events at each change, until it ended (runs/watch.py)."""
        if self.watch is None:
            raise ConflictError("this process does not follow runs")
        return self.watch.follow(run_id, after)

    def get_run(self, run_id: str) -> Run:
        return self.store.get(run_id)

    def list_runs(
        self, filters: RunFilter, limit: int, cursor: str | None
    ) -> tuple[list[Run], str | None]:
        runs = self.store.search(filters, limit + 1, decode_cursor(cursor) if cursor else None)
        more = len(runs) > limit
        runs = runs[:limit]
        return runs, encode_cursor(runs[-1]) if more and runs else None

    def events(self, run_id: str, after_seq: int = 0) -> list[RunEvent]:
        self.store.get(run_id)
        return self.store.events(run_id, after_seq)

    def cancel(self, run_id: str, by: str, by_id: str | None = None) -> Run:
        """Cancel a queued run at once, or ask a running one to stop."""
        run = self.store.get(run_id)
        if RunStatus(run.status).terminal:
            raise ConflictError(f"run {run_id} already ended ({run.status})", run_id=run_id)
        self.store.request_cancel(run_id, by, by_id)
        if run.status == RunStatus.QUEUED:
            self.store.transition(run_id, RunStatus.CANCELED, error="canceled before it started")
        elif run.status == RunStatus.AWAITING_APPROVAL:
            rows, records = self.gate.withdrawn(run, by, by_id) if self.gate else ([], [])
            self.store.transition(
                run_id,
                RunStatus.CANCELED,
                also_add=rows,
                also_record=records,
                error="canceled while it awaited approval",
            )
        self.dispatcher.cancel(run_id)
        return self.store.get(run_id)


__all__ = ["Dispatcher", "FixlineError", "Job", "RunRequest", "RunService"]
