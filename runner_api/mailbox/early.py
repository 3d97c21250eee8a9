"""A mailbox run's first read, made while its record commits, and only once its owner passed.

MailboxExecutor.look_ahead has the owner vetted on a side thread (AccountGuard.look_ahead);
when the owner passes the guardrails and is no VIP, the read an out-of-office fix starts
with (the automatic replies) follows on that thread, still after the guardrails, never
before them. The run takes it when fresh (the run spine's AheadReads) and records its calls
then as its own events, in order. A read that failed is recorded too, and the run reads
again itself, as it would have without a head start.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from runner_api.accounts import Account
from runner_api.catalog.models import ActionSpec
from runner_api.customers.models import Customer
from runner_api.mailbox import guardrails
from runner_api.mailbox.gateway import MailboxGateway, Oof
from runner_api.runs.context import EventIn, RunContext
from runner_api.runs.look_ahead import AheadReads
from runner_api.runs.steps import checkpoint, emit
from runner_api.secrets.redactor import Redactor

# The fixes that start by reading the automatic replies.
READS_OOF = frozenset({"mailbox_oof_set", "mailbox_oof_clear"})
# Runs remembered as wanting their read; one refused before it reads never takes it.
_WANTED_KEPT = 256
# Bounds each call of the read made ahead; the run itself waits for it only within its own
# time (every request is bounded by the customer's timeout_s as well).
AHEAD_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class EarlyOof:
    """The automatic replies read ahead (None: the read failed) and the events it made."""

    oof: Oof | None
    events: tuple[EventIn, ...]


class EarlyReads:
    """Reads ahead for mailbox runs; thread-safe."""

    def __init__(self, gateway: MailboxGateway) -> None:
        self._gateway = gateway
        # Made on the account guard's side thread, right after the vetting (see the module).
        self._ahead: AheadReads[EarlyOof] = AheadReads()
        # Runs whose read is still wanted: one that had to queue drops it before it is made.
        self._lock = threading.Lock()
        self._wanted: OrderedDict[str, None] = OrderedDict()

    def after_vetting(
        self, run_id: str, spec: ActionSpec, customer: Customer, params: Mapping[str, Any]
    ) -> Callable[[Account], None] | None:
        """What AccountGuard.look_ahead runs once the owner passed (None: nothing to read)."""
        mailbox = params.get("mailbox")
        if spec.name not in READS_OOF or not isinstance(mailbox, str):
            return None

        def read(_owner: Account) -> None:
            with self._lock:
                if run_id not in self._wanted:
                    return
            self._ahead.hand(run_id, mailbox, self._read(run_id, spec, customer, mailbox))
            with self._lock:
                wanted = run_id in self._wanted
            if not wanted:  # dropped meanwhile: do not keep it
                self._ahead.drop(run_id)

        with self._lock:
            self._wanted[run_id] = None
            while len(self._wanted) > _WANTED_KEPT:
                self._wanted.popitem(last=False)
        return read

    def _read(self, run_id: str, spec: ActionSpec, customer: Customer, mailbox: str) -> EarlyOof:
        events: list[EventIn] = []
        side = RunContext(
            run_id, "", customer, spec, mailbox, {}, False, Redactor(), AHEAD_TIMEOUT_S,
            emit=events.append,
        )  # fmt: skip
        try:
            guardrails.in_customer(customer, mailbox, "mailbox")
            with self._gateway.scoped(side):
                oof = self._gateway.get_oof(customer, mailbox)
        except Exception:  # recorded by the run, which then reads itself
            return EarlyOof(None, tuple(events))
        return EarlyOof(oof, tuple(events))

    def drop(self, run_id: str) -> None:
        with self._lock:
            self._wanted.pop(run_id, None)
        self._ahead.drop(run_id)

    def take_oof(self, ctx: RunContext, mailbox: str) -> Oof | None:
        """The automatic replies read ahead for this run, its calls recorded now; None when
        there is none (the run reads itself)."""
        with self._lock:
            self._wanted.pop(ctx.run_id, None)
        read = self._ahead.take(ctx.run_id, mailbox)
        if read is None:
            return None
        checkpoint(ctx, "mailbox")
        try:
            early = read.result(timeout=0)  # handed over done: the vetting waited for it
        except (CancelledError, FutureTimeout):
            return None
        for event in early.events:
            emit(ctx, event.kind, event.message, **event.data)
        return early.oof
