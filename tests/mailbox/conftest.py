"""Mailbox tests: hand-built runs of MailboxExecutor with real exchangelib and the simulator.

Needs the `mailbox_lab` fixture: `-p tests.plugins.mailbox_lab`.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lab.ews import Request
from lab.ews.accounts import SimulatorAccounts
from runner_api.accounts import AccountGuard
from runner_api.customers.models import Customer
from runner_api.mailbox import EwsMailbox, MailboxExecutor
from runner_api.runs.context import RunContext
from runner_api.secrets.redactor import Redactor

# The same tests on both backends: pytest sees them as this folder's fixtures.
from tests.mailbox.backends import SPECS, Run, graph_gateway, world  # noqa: F401
from tests.plugins.mailbox_lab import MailboxLabHandle

ANNA = "anna.schmidt@lab.test"
BEN = "ben.carter@lab.test"
EMMA = "emma.larsen@lab.test"
SERVICE = "svc-helpdesk@lab.test"


@pytest.fixture
def sim(mailbox_lab: MailboxLabHandle) -> MailboxLabHandle:
    """The EWS simulator at its seed."""
    return mailbox_lab


@pytest.fixture
def gateway(sim: MailboxLabHandle) -> Iterator[EwsMailbox]:
    mailbox = EwsMailbox(sim.credentials)
    yield mailbox
    mailbox.close()


@pytest.fixture
def executor(gateway: EwsMailbox, sim: MailboxLabHandle) -> MailboxExecutor:
    # The simulator's mailboxes stand for the directory here: these tests are about
    # Exchange; the account guardrail is tested on the lab's real DCs in tests/accounts.
    return MailboxExecutor(gateway, AccountGuard(SimulatorAccounts(sim.simulator)))


@pytest.fixture
def make_run(sim: MailboxLabHandle) -> Callable[..., Run]:
    """Build a RunContext by hand for one mailbox action."""

    def _make(
        action: str,
        customer: Customer | None = None,
        check_mode: bool = False,
        timeout_s: float = 60,
        **params: Any,
    ) -> Run:
        run = Run(ctx=None)  # type: ignore[arg-type]
        run.ctx = RunContext(
            run_id=str(uuid.uuid4()),
            ticket_id="T-1",
            customer=customer or sim.customer(),
            action=SPECS[action],
            target=str(params.get("mailbox", "")),
            params=params,
            check_mode=check_mode,
            redactor=Redactor(),
            timeout_s=timeout_s,
            emit=run.events.append,
            cancel_requested=threading.Event(),
        )
        return run

    return _make


def operations(requests: list[Request]) -> list[str]:
    return [request.operation for request in requests]


def assert_impersonated(requests: list[Request], mailbox: str) -> None:
    """Every request impersonated `mailbox`, acted on it, and never on the service account."""
    assert requests, "no request reached the simulator"
    for request in requests:
        assert request.impersonated == mailbox, (request.operation, request.impersonated)
        assert request.target == mailbox
        assert request.target != SERVICE
        assert f"<t:PrimarySmtpAddress>{mailbox}</t:PrimarySmtpAddress>".encode() in request.body
