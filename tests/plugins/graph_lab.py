"""Fixtures for the Graph simulator (not Microsoft Graph): in-process, loopback, TLS, root-free.

graph_seed       (session) the seeded simulator, the apps' credentials, a snapshot of the seed
graph_simulator  (session) the seeded GraphSimulator itself
graph_lab        (each test) the simulator back at its seed: no faults, an empty request log;
                 clients with a token for a customer's tenant ("fabrikam" or "lab")

entra_inventories() writes customers whose tenants are the simulator's (for a Core or a
served process).
"""

from __future__ import annotations

import shutil
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
import requests
import yaml

from lab.graph import AppCredential, GraphSimulator, object_id, seed
from lab.graph.state import Tenant
from tests.plugins.lab import PROJECT_DIR

GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]
# The customers on the simulator's tenants: the lab customer made hybrid (its AD beside the
# `lab` tenant of synced copies) and fabrikam, cloud-only.
ENTRA_CUSTOMERS = {"lab": ("lab.test", "hybrid"), "fabrikam": ("fabrikam.example", "entra")}


def entra_inventories(
    root: Path, simulator: GraphSimulator, credentials: dict[str, AppCredential], **entra: Any
) -> Path:
    """A copy of the checkout's inventories/ at `root` with ENTRA_CUSTOMERS' `entra:` on the
    simulator (more keys of that section in `entra`); returns `root`."""
    shutil.copytree(PROJECT_DIR / "inventories", root)
    for name, (domain, identity) in ENTRA_CUSTOMERS.items():
        folder = root / name
        folder.mkdir(exist_ok=True)
        config_path, hosts_path = folder / "fixline.yml", folder / "hosts.yml"
        config = yaml.safe_load(config_path.read_text()) if config_path.exists() else {}
        config.setdefault("display_name", f"{name} (Graph simulator)")
        config["identity"] = identity
        config["entra"] = {
            "tenant_id": credentials[name].tenant_id,
            "accepted_domains": [domain],
            "authority_host": simulator.url,
            "graph_url": simulator.graph_url,
            **entra,
        }
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        if not hosts_path.exists():
            hosts_path.write_text(yaml.safe_dump({"all": {"hosts": {}}}))
    return root


def msal_session(simulator: GraphSimulator) -> requests.Session:
    """A requests session trusting only the simulator's CA.

    trust_env=False: requests lets REQUESTS_CA_BUNDLE override `verify` otherwise.
    """
    session = requests.Session()
    session.trust_env = False
    session.verify = str(simulator.ca_path)
    return session


def msal_app(
    session: requests.Session,
    simulator: GraphSimulator,
    credential: AppCredential,
    **client_credential: str,
) -> msal.ConfidentialClientApplication:
    """msal's real confidential client for a tenant of the simulator, on this session."""
    return msal.ConfidentialClientApplication(
        credential.client_id,
        authority=simulator.authority(credential.tenant_id),
        client_credential=client_credential or credential.msal_credential(),
        instance_discovery=False,
        http_client=session,
    )


@dataclass
class GraphSeed:
    simulator: GraphSimulator
    credentials: dict[str, AppCredential]
    snapshot: dict[str, Tenant]
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, customer: str) -> str:
        """An access token for the customer's tenant, fetched once per session through msal."""
        if customer not in self.tokens:
            with msal_session(self.simulator) as session:
                app = msal_app(session, self.simulator, self.credentials[customer])
                result = app.acquire_token_for_client(GRAPH_SCOPE)
            self.tokens[customer] = str(result["access_token"])
        return self.tokens[customer]


@dataclass
class GraphLab:
    """What tests get: the simulator at its seed, credentials, and Graph clients."""

    seed: GraphSeed
    clients: list[httpx.Client] = field(default_factory=list)
    sessions: list[requests.Session] = field(default_factory=list)

    @property
    def simulator(self) -> GraphSimulator:
        return self.seed.simulator

    @property
    def credentials(self) -> dict[str, AppCredential]:
        return self.seed.credentials

    def tenant(self, customer: str = "fabrikam") -> Tenant:
        return self.simulator.state.tenants[self.credentials[customer].tenant_id]

    def user_id(self, alias: str, customer: str = "fabrikam") -> str:
        return object_id(self.credentials[customer].tenant_id, alias)

    def group_id(self, name: str, customer: str = "fabrikam") -> str:
        return object_id(self.credentials[customer].tenant_id, f"group/{name}")

    def msal(
        self,
        customer: str = "fabrikam",
        credential: AppCredential | None = None,
        **client_credential: str,
    ) -> msal.ConfidentialClientApplication:
        """A fresh msal client (its own token cache) for the customer's tenant."""
        session = msal_session(self.simulator)
        self.sessions.append(session)
        chosen = credential or self.credentials[customer]
        return msal_app(session, self.simulator, chosen, **client_credential)

    def client(self, customer: str = "fabrikam", token: str | None = None) -> httpx.Client:
        """An httpx client on the simulator's Graph root, with a bearer token for the tenant."""
        context = ssl.create_default_context(cafile=str(self.simulator.ca_path))
        headers = {"Authorization": f"Bearer {token or self.seed.token(customer)}"}
        client = httpx.Client(
            base_url=self.simulator.graph_url, verify=context, headers=headers, timeout=5.0
        )
        self.clients.append(client)
        return client

    def values(self, url: str, customer: str = "fabrikam") -> list[dict[str, Any]]:
        """The `value` of a collection GET that must answer 200."""
        response = self.client(customer).get(url)
        assert response.status_code == 200, response.text
        return list(response.json()["value"])


@pytest.fixture(scope="session")
def graph_seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphSeed]:
    simulator = GraphSimulator(Path(tmp_path_factory.mktemp("graph-simulator"))).start()
    credentials = seed(simulator)
    yield GraphSeed(simulator, credentials, simulator.snapshot())
    simulator.stop()


@pytest.fixture(scope="session")
def graph_simulator(graph_seed: GraphSeed) -> GraphSimulator:
    """The seeded simulator for the session (tests that change it should use graph_lab)."""
    return graph_seed.simulator


@pytest.fixture
def graph_lab(graph_seed: GraphSeed) -> Iterator[GraphLab]:
    """The simulator back at its seed, with no faults and an empty request log."""
    graph_seed.simulator.restore(graph_seed.snapshot)
    handle = GraphLab(graph_seed)
    yield handle
    graph_seed.simulator.faults.released.set()
    for client in handle.clients:
        client.close()
    for session in handle.sessions:
        session.close()
