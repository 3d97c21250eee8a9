"""Starts the runs of accepted deliveries, from the delivery table, on a thread of its own.

Woken right after each accepted delivery, and every sweep_s anyway (so deliveries accepted
by a process that died before starting them are started too, at the latest one sweep after
start-up). Each run is started under the id the sender already got, and that id is the run's
primary key: should a delivery be started twice (a crash after the run was recorded but
before the row was marked, or two processes sweeping at once), the second insert fails and
there is still exactly one run. A refusal at start (rate limit, policy, not vetted, a
parameter no longer valid) still ends as a recorded run with that id and the reason.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from runner_api.database import Database
from runner_api.errors import FixlineError, RunNotFoundError
from runner_api.runs.models import Run
from runner_api.runs.service import RunService
from runner_api.runs.status import RunStatus
from runner_api.secrets.cipher import SecretBox
from runner_api.secrets.redactor import MASK, Redactor
from runner_api.types import utcnow
from runner_api.webhooks.models import DeliveryStatus, WebhookDelivery
from runner_api.webhooks.queued import QueuedRun, open_params

log = logging.getLogger(__name__)
_BATCH = 100


class WebhookStarter:
    """One per process; safe beside the starters of other processes."""

    def __init__(
        self, db: Database, box: SecretBox, runs: RunService, sweep_s: float = 10.0
    ) -> None:
        self.db = db
        self.box = box
        self.runs = runs
        self.sweep_s = sweep_s
        self._wake = threading.Condition()
        self._woken = True  # the first round runs at once: what a stopped process left
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="fixline-webhooks", daemon=True)

    def start(self) -> None:
        """Start the thread; its first round starts what an earlier process left accepted."""
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(10)

    def kick(self) -> None:
        """A delivery was accepted: start it now (cheap; called in the request)."""
        with self._wake:
            self._woken = True
            self._wake.notify()

    def _loop(self) -> None:
        while True:
            with self._wake:
                if not self._woken and not self._stop:
                    self._wake.wait(self.sweep_s)
                self._woken = False
                if self._stop:
                    return
            try:
                while self.start_due() == _BATCH and not self._stop:
                    pass  # a full batch settled: more may be waiting
            except Exception:  # a store hiccup must not end the starter; the next round retries
                log.exception("starting accepted webhook deliveries failed")

    def start_due(self) -> int:
        """Start (or record as refused) the oldest accepted deliveries; how many it settled."""
        due = self._due()
        started: list[str] = []
        settled = 0
        for row in due:
            try:
                reason = self._start(row)
            except Exception:  # the store or a bug: this row stays accepted for the next sweep
                log.exception("webhook delivery %s: its run could not be started yet", row.id)
                continue
            settled += 1
            if reason is None:
                started.append(row.id)
            else:
                self._finish([row.id], DeliveryStatus.REFUSED, reason)
        # One write for the batch: a crash before it only makes the next round find the runs.
        self._finish(started, DeliveryStatus.STARTED, None)
        return settled

    def _due(self) -> list[Any]:
        query = (
            select(
                WebhookDelivery.id,
                WebhookDelivery.run_id,
                WebhookDelivery.request,
                WebhookDelivery.sealed_params,
            )
            .where(WebhookDelivery.status == DeliveryStatus.ACCEPTED.value)
            .order_by(WebhookDelivery.created_at)
            .limit(_BATCH)
        )
        with self.db.connection() as connection:
            return list(connection.execute(query).all())

    def _start(self, row: Any) -> str | None:
        """Start one run under its id; None when it started, else why it was refused."""
        queued = QueuedRun.from_json(row.request)
        params = open_params(self.box, row.id, row.sealed_params)
        try:
            self.runs.start_run(queued.run_request(params), run_id=row.run_id)
        except (IntegrityError, FixlineError) as exc:
            # An IntegrityError: the id is taken, by an earlier round or another process.
            run = self._find(row.run_id)
            if run is not None:
                refused = run.status == RunStatus.REFUSED
                return (run.error or "refused") if refused else None
            if not isinstance(exc, FixlineError):
                raise
            # Refused before start_run recorded anything (rate limit, no longer valid):
            # recorded here, so the id the sender got still resolves.
            reason = Redactor(_secrets(queued, params)).text(exc.message)
            self._record_refused(row.run_id, queued, reason)
            return reason
        return None

    def _find(self, run_id: str) -> Run | None:
        try:
            return self.runs.get_run(run_id)
        except RunNotFoundError:
            return None

    def _record_refused(self, run_id: str, queued: QueuedRun, reason: str) -> None:
        now = utcnow()
        run = Run(
            id=run_id,
            customer=queued.customer,
            ticket_id=queued.ticket_id,
            action=queued.action,
            target=queued.target,
            params=queued.masked_params,
            check_mode=False,
            requested_by=queued.requested_by,
            requester_id=queued.requested_by,
            channel=queued.channel.value,
            status=RunStatus.REFUSED.value,
            summary="",
            error=reason,
            details={},
            versions={},
            timeout_s=self.runs.default_timeout_s,
            cancel_requested=False,
            worker=self.runs.worker_id,
            heartbeat_at=now,
            created_at=now,
            finished_at=now,
        )
        self.runs.store.insert(run)

    def _finish(self, row_ids: list[str], status: DeliveryStatus, reason: str | None) -> None:
        """Mark rows started or refused and wipe what they kept to start the run."""
        if not row_ids:
            return
        with self.db.connection() as connection:
            connection.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id.in_(row_ids),
                    WebhookDelivery.status == DeliveryStatus.ACCEPTED.value,
                )
                .values(status=status.value, reason=reason, request=None, sealed_params=None)
            )


def _secrets(queued: QueuedRun, params: dict[str, Any]) -> list[str]:
    """The values the stored request masks: what a refusal's reason must never show."""
    return [str(params[name]) for name, v in queued.masked_params.items() if v == MASK]
