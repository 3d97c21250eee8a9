"""Entra ID fixes against the Graph simulator (not Microsoft): real HttpGraph, msal and httpx.

`fabrikam` is the cloud-only customer (its tenant's groups allow-listed, a deny-listed user);
`hybrid` is the lab customer of inventories/ with the simulator's `lab` tenant beside its AD,
which here is the fast tier's FakeDirectory (seeded with the same lab users the tenant copies):
no root lab. `router` is the executor of directory actions as assemble() builds it; `make_run`
builds one run by hand and keeps its events and reveals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from lab.graph.state import Tenant, User
from runner_api.catalog.models import ActionSpec
from runner_api.customers.models import Customer, Identity
from runner_api.customers.registry import CustomerRegistry
from runner_api.directory import DirectoryExecutor, directory_actions
from runner_api.entra import IdentityRouter, entra_actions
from runner_api.graph import HttpGraph
from runner_api.runs.context import Outcome
from runner_api.runs.status import RunStatus
from runner_api.secrets.credentials import FileCredentialSource
from tests.directory.conftest import Run as DirectoryRun
from tests.fakes import FakeDirectory
from tests.fakes.context import run_context
from tests.graph.conftest import DOMAINS, credential
from tests.graph.conftest import customer as tenant_customer
from tests.plugins.graph_lab import GraphLab
from tests.plugins.lab import PROJECT_DIR

SPECS: dict[str, ActionSpec] = {s.name: s for s in [*directory_actions(), *entra_actions()]}
FABRIKAM_GROUPS = frozenset(
    {"Sales Team", "VPN Users", "Project Falcon", "Finance Mail-Enabled", "All Staff", "IT Admins"}
)
DENIED = "isaiah.langer@fabrikam.example"
WRITES = ("PATCH", "POST", "DELETE")


class Run(DirectoryRun):
    """One hand-built run: its context, what it emitted and what it revealed."""

    def graph_calls(self) -> list[dict[str, Any]]:
        return [dict(event.data) for event in self.events if event.kind == "graph"]

    def routing(self) -> list[str]:
        return [event.message for event in self.events if event.kind == "routing"]


def graph_writes(lab: GraphLab) -> list[tuple[str, str]]:
    """The writes Graph (not the token endpoint) received."""
    return [
        (r.method, r.path)
        for r in lab.simulator.requests
        if r.method in WRITES and "/oauth2/" not in r.path
    ]


def cloud_user(lab: GraphLab, alias: str, customer: str = "fabrikam") -> User:
    tenant: Tenant = lab.tenant(customer)
    return tenant.users[lab.user_id(alias, customer)]


@pytest.fixture
def graph(graph_lab: GraphLab, tmp_path: Path) -> Iterator[HttpGraph]:
    """HttpGraph reading the seeded apps' credentials from a credentials folder."""
    files = FileCredentialSource(tmp_path / "credentials")
    for name in DOMAINS:
        files.store_graph_credential(name, credential(graph_lab, name))
    gateway = HttpGraph(files)
    yield gateway
    gateway.close()


@pytest.fixture
def fabrikam(graph_lab: GraphLab) -> Customer:
    cloud = tenant_customer(graph_lab, "fabrikam", deny_list=(DENIED,))
    return replace(
        cloud,
        allowlists={"groups": FABRIKAM_GROUPS},
        vip_users=frozenset({"nestor.wilke@fabrikam.example"}),
    )


@pytest.fixture
def hybrid(graph_lab: GraphLab) -> Customer:
    lab = CustomerRegistry(PROJECT_DIR / "inventories").get("lab")
    entra = tenant_customer(graph_lab, "lab").entra
    return replace(lab, entra=entra, identity=Identity.HYBRID)


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory()


@pytest.fixture
def router(directory: FakeDirectory, graph: HttpGraph) -> IdentityRouter:
    return IdentityRouter(DirectoryExecutor(directory), graph)


@pytest.fixture
def make_run(fabrikam: Customer) -> Callable[..., Run]:
    """One run of a directory action built by hand, on fabrikam unless told (a test that
    wants check mode sets run.ctx.check_mode)."""

    def _make(action: str, customer: Customer | None = None, **params: Any) -> Run:
        run = Run(ctx=None)  # type: ignore[arg-type]
        run.ctx = run_context(SPECS[action], customer or fabrikam, params, run.events, run.reveal)
        return run

    return _make


@dataclass
class Hybrid:
    """The hybrid customer's run builder, its router, its AD (the fake) and its tenant."""

    customer: Customer
    router: IdentityRouter
    directory: FakeDirectory
    lab: GraphLab
    make_run: Callable[..., Run]

    def run(self, action: str, **params: Any) -> tuple[Run, Outcome]:
        run = self.make_run(action, self.customer, **params)
        return run, self.router.execute(run.ctx)

    def fixed(self, action: str, **params: Any) -> Run:
        """A run that must succeed (its error otherwise)."""
        run, outcome = self.run(action, **params)
        assert outcome.status is RunStatus.SUCCEEDED, outcome.error
        return run


@pytest.fixture
def hybrid_runs(
    hybrid: Customer,
    router: IdentityRouter,
    directory: FakeDirectory,
    graph_lab: GraphLab,
    make_run: Callable[..., Run],
) -> Hybrid:
    return Hybrid(hybrid, router, directory, graph_lab, make_run)
