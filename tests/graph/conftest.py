"""HttpGraph against the Graph simulator (not Microsoft): real msal, real httpx, loopback TLS.

`gateway` reads the seeded apps' credentials (with the simulator's CA) from a credentials
folder, as the service reads them from its store; `customers` are fabrikam (cloud-only) and
lab (hybrid) pointing at the simulator; `calls` collects every GraphCall of the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from runner_api.customers.models import Customer, EntraConfig, Identity
from runner_api.graph import Budget, GraphCall, HttpGraph
from runner_api.secrets.credentials import FileCredentialSource, GraphCredential
from tests.plugins.graph_lab import GraphLab, graph_credential

DOMAINS = {"fabrikam": "fabrikam.example", "lab": "lab.test"}


@dataclass
class Calls:
    """Every GraphCall a budget recorded."""

    seen: list[GraphCall] = field(default_factory=list)

    def budget(self, deadline: float = float("inf")) -> Budget:
        return Budget(deadline, self.seen.append)


def customer(lab: GraphLab, name: str, **changes: object) -> Customer:
    """A customer whose tenant is the simulator's tenant of the same name."""
    config = EntraConfig(
        tenant_id=lab.credentials[name].tenant_id,
        accepted_domains=(DOMAINS[name],),
        authority_host=lab.simulator.url,
        graph_url=lab.simulator.graph_url,
        timeout_s=2.0,
        max_retry_wait_s=5.0,
    )
    return Customer(
        name=name,
        display_name=name,
        inventory_dir=Path("/nonexistent"),
        entra=replace(config, **changes),  # type: ignore[arg-type]
        identity=Identity.ENTRA,
    )


def credential(lab: GraphLab, name: str) -> GraphCredential:
    return graph_credential(lab.simulator, lab.credentials[name])


@pytest.fixture
def folder(graph_lab: GraphLab, tmp_path: Path) -> FileCredentialSource:
    files = FileCredentialSource(tmp_path / "credentials")
    for name in DOMAINS:
        files.store_graph_credential(name, credential(graph_lab, name))
    return files


@pytest.fixture
def gateway(folder: FileCredentialSource) -> Iterator[HttpGraph]:
    graph = HttpGraph(folder)
    yield graph
    graph.close()


@pytest.fixture
def fabrikam(graph_lab: GraphLab) -> Customer:
    return customer(graph_lab, "fabrikam")


@pytest.fixture
def calls() -> Calls:
    return Calls()
