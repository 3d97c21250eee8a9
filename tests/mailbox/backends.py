"""One mailbox world per backend, for the tests whose behaviour is the same on both.

ews    the lab customer on the EWS simulator (lab/ews), exchangelib, accounts from the
       simulator's mailboxes (as tests/mailbox/conftest.py)
graph  the lab customer as a hybrid one whose mail is in Exchange Online: the Graph simulator
       (lab/graph, not Microsoft) through HttpGraph and msal, its AD the fast tier's
       FakeDirectory (the lab users the `lab` tenant copies), accounts vetted where they live
Both hold the same people (anna.schmidt, henry.moreau, ... @lab.test); `world.read` gives the
backend's own view of a mailbox after a run.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from lab.ews.accounts import SimulatorAccounts
from runner_api.accounts import AccountGuard
from runner_api.catalog.models import ActionSpec
from runner_api.customers.models import Customer, Identity, MailboxBackend, MailboxConfig
from runner_api.customers.registry import CustomerRegistry
from runner_api.directory.accounts import DirectoryAccounts
from runner_api.entra.accounts import EntraAccounts, IdentityAccounts
from runner_api.exchange_online import GraphMailbox
from runner_api.graph import HttpGraph
from runner_api.mailbox import EwsMailbox, MailboxExecutor, mailbox_actions
from runner_api.mailbox.backends import MailboxBackends
from runner_api.mailbox.gateway import MailboxGateway
from runner_api.runs.context import EventIn, RunContext
from runner_api.secrets.credentials import FileCredentialSource
from runner_api.secrets.redactor import Redactor
from tests.fakes import FakeDirectory
from tests.graph.conftest import customer as tenant_customer
from tests.plugins.graph_lab import GraphLab
from tests.plugins.lab import PROJECT_DIR
from tests.plugins.mailbox_lab import MailboxLabHandle

WRITES = ("PATCH", "POST", "DELETE")
SPECS: dict[str, ActionSpec] = {spec.name: spec for spec in mailbox_actions()}


@dataclass
class Run:
    ctx: RunContext
    events: list[EventIn] = field(default_factory=list)


@dataclass
class World:
    """A backend, the customer on it, its executor and gateway, and its write count."""

    name: str
    customer: Customer
    executor: MailboxExecutor
    gateway: MailboxGateway
    writes: Callable[[], int]

    def run(self, action: str, check_mode: bool = False, **params: Any) -> tuple[Run, Any]:
        run = self.prepare(action, check_mode, **params)
        return run, self.executor.execute(run.ctx)

    def ahead(self, action: str, **params: Any) -> Run:
        """A run whose first reads started as the worker pool starts them: while its record
        commits (MailboxExecutor.look_ahead); execute it with `executor.execute(run.ctx)`."""
        run = self.prepare(action, **params)
        ctx = run.ctx
        self.executor.look_ahead(ctx.run_id, ctx.customer, ctx.action.name, ctx.params)
        return run

    def prepare(self, action: str, check_mode: bool = False, **params: Any) -> Run:
        run = Run(ctx=None)  # type: ignore[arg-type]
        run.ctx = RunContext(
            run_id=str(uuid.uuid4()),
            ticket_id="T-1",
            customer=self.customer,
            action=SPECS[action],
            target=str(params.get("mailbox", "")),
            params=params,
            check_mode=check_mode,
            redactor=Redactor(),
            timeout_s=60,
            emit=run.events.append,
            cancel_requested=threading.Event(),
        )
        return run


def hybrid_lab(graph_lab: GraphLab) -> Customer:
    """inventories/lab as a hybrid customer with its mail in Exchange Online (the simulator)."""
    lab = CustomerRegistry(PROJECT_DIR / "inventories").get("lab")
    assert lab.mailbox is not None
    mailbox = MailboxConfig(
        ews_url="", accepted_domains=lab.mailbox.accepted_domains, backend=MailboxBackend.GRAPH
    )
    entra = tenant_customer(graph_lab, "lab").entra
    return replace(lab, entra=entra, identity=Identity.HYBRID, mailbox=mailbox)


@pytest.fixture
def graph_gateway(graph_lab: GraphLab, tmp_path: Path) -> Iterator[HttpGraph]:
    files = FileCredentialSource(tmp_path / "graph-credentials")
    for name, app in graph_lab.credentials.items():
        files.store_graph_credential(name, app.graph_credential(graph_lab.simulator.ca_pem))
    gateway = HttpGraph(files)
    yield gateway
    gateway.close()


def ews_world(mailbox_lab: MailboxLabHandle, gateway: EwsMailbox) -> World:
    executor = MailboxExecutor(
        MailboxBackends(gateway), AccountGuard(SimulatorAccounts(mailbox_lab.simulator))
    )
    writes = ("SetUserOofSettings", "UpdateInboxRules", "UpdateFolder")
    return World(
        "ews",
        mailbox_lab.customer(),
        executor,
        gateway,
        lambda: sum(1 for r in mailbox_lab.requests if r.operation in writes),
    )


def graph_world(graph_lab: GraphLab, graph: HttpGraph, customer: Customer) -> World:
    gateway = GraphMailbox(graph)
    accounts = IdentityAccounts(DirectoryAccounts(FakeDirectory()), EntraAccounts(graph))
    # No customer here is on EWS: both slots are the Graph backend.
    executor = MailboxExecutor(MailboxBackends(gateway, gateway), AccountGuard(accounts))
    return World(
        "graph",
        customer,
        executor,
        gateway,
        lambda: sum(
            1
            for r in graph_lab.simulator.requests
            if r.method in WRITES and "/oauth2/" not in r.path
        ),
    )


@pytest.fixture(params=["ews", "graph"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """The same tests on EWS (on-premises) and on Graph (Exchange Online)."""
    if request.param == "ews":
        mailbox_lab: MailboxLabHandle = request.getfixturevalue("mailbox_lab")
        gateway = EwsMailbox(mailbox_lab.credentials)
        yield ews_world(mailbox_lab, gateway)
        gateway.close()
        return
    graph_lab: GraphLab = request.getfixturevalue("graph_lab")
    graph = request.getfixturevalue("graph_gateway")
    yield graph_world(graph_lab, graph, hybrid_lab(graph_lab))
