"""What an executor gets for one run, and what it gives back.

Executors (playbooks, directory, mailbox ...) implement `Executor`. They never touch the
store: they report through `RunContext.emit` and return an `Outcome`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from runner_api.catalog.models import ActionSpec
from runner_api.customers.models import Customer
from runner_api.runs.status import RunStatus
from runner_api.secrets.redactor import Redactor


@dataclass(frozen=True)
class EventIn:
    """One progress event from an executor; redacted and numbered by the run service."""

    kind: str
    message: str = ""
    task: str | None = None
    host: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FollowUp:
    """A run to start later for the same ticket (e.g. revoke a grant when it expires)."""

    action: str
    params: Mapping[str, Any]
    due_at: datetime


@dataclass(frozen=True)
class Contact:
    """Someone to tell about a run; address None when no mail address is on record."""

    name: str
    address: str | None


@dataclass(frozen=True)
class Affected:
    """The account a run acted on and whom to tell about it; never a secret."""

    username: str
    owner: Contact
    # Set only when the customer notifies managers and the account has one.
    manager: Contact | None = None
    # What was granted (e.g. the group of a group_add), for the text of the notice.
    granted: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How a run ended, as reported by its executor."""

    status: RunStatus
    changed: bool = False
    summary: str = ""
    diff: Mapping[str, Any] | None = None
    error: str | None = None
    # Versions of the tools that did the work (e.g. ansible-core), recorded on the run.
    versions: Mapping[str, str] = field(default_factory=dict)
    # Facts worth keeping on the run (serial numbers, fingerprints, reveal_id ...); never secrets.
    details: Mapping[str, Any] = field(default_factory=dict)
    # Runs to schedule once this one succeeded; recorded with the run's end.
    follow_ups: tuple[FollowUp, ...] = ()
    # Whose account it was (directory actions); the notify package tells them.
    affected: Affected | None = None


@dataclass
class RunContext:
    """Everything one execution needs; built by the dispatcher, discarded afterwards."""

    run_id: str
    ticket_id: str
    customer: Customer
    action: ActionSpec
    target: str
    # Validated parameters with secret values in clear: memory only, never stored.
    params: Mapping[str, Any]
    check_mode: bool
    redactor: Redactor
    timeout_s: float
    emit: Callable[[EventIn], None]
    # Keeps a one-time secret (e.g. a temporary password) for the requester; returns the
    # reveal_id to put in Outcome.details. The secret is never stored in clear.
    reveal: Revealer | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    started_monotonic: float = field(default_factory=time.monotonic)
    # Who approved the run, when it needed approval: guardrails that allow a high-risk
    # case only once approved (forwarding outside the customer) check it again here.
    approved_by: str | None = None

    @property
    def deadline(self) -> float:
        return self.started_monotonic + self.timeout_s

    def time_left(self) -> float:
        return self.deadline - time.monotonic()


class Revealer(Protocol):
    def __call__(self, secret: str, filename: str | None = None) -> str:
        """Keep `secret` for the requester, once; `filename`: it is a file to download
        under that name (a VPN profile), never shown. Returns the reveal_id."""
        ...


class Executor(Protocol):
    """Runs actions of one kind."""

    def execute(self, ctx: RunContext) -> Outcome:
        """Do the work; must honour ctx.cancel_requested and ctx.deadline, never raise."""
        ...


@runtime_checkable
class LooksAhead(Protocol):
    """An executor that can start a run's first reads while the run is being recorded.

    Only reads, for a run a free worker takes the moment its record commits: they overlap
    the commit instead of following it. Nothing may change before the record."""

    def look_ahead(
        self, run_id: str, customer: Customer, action: str, params: Mapping[str, Any]
    ) -> None:
        """Start the reads; their results wait for the run (or are dropped)."""
        ...

    def drop_ahead(self, run_id: str) -> None:
        """Forget the reads of a run that did not start at once (they would grow stale)."""
        ...
