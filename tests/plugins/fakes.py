"""The fast tier's app: the real Core and API on in-process fakes of the outside systems.

`fakes`         FakeDirectory, FakeMailbox and FakePlaybooks (tests/fakes), fresh per test;
                with `graph` set, a real HttpGraph for a Graph simulator the test serves
`fast_settings` Settings on a temporary data folder, this checkout's project, no lab
`fast_core`     Core(fast_settings, build=fakes.build): the production wiring (assemble)
                on the fakes, its credential store holding the binds the fakes accept
`fast_client`   a TestClient of create_app(settings, core), as the bootstrap admin

Everything runs as any user, without the lab, PostgreSQL, Redis, RT or a browser.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from runner_api.app import create_app
from runner_api.catalog.vetting import VettingLock
from runner_api.core import Core
from runner_api.database import Database
from runner_api.exchange_online import GraphMailbox
from runner_api.executors import ExecutorSet, assemble
from runner_api.graph import HttpGraph
from runner_api.mailbox.backends import MailboxBackends
from runner_api.secrets.credentials import SshCredential
from runner_api.secrets.store import EncryptedCredentialSource
from runner_api.settings import Settings
from tests.fakes import FakeDirectory, FakeMailbox, FakePlaybooks
from tests.plugins.lab import PROJECT_DIR

FAST_TOKEN = "fast-tier-bootstrap-0123456789abcdef"
FAST_AUTH = {"Authorization": f"Bearer {FAST_TOKEN}"}
# The customers of inventories/ whose systems the fakes stand in for.
CUSTOMERS = ("lab", "contoso")
SSH_HOSTS_CUSTOMERS = ("lab",)
# Not a key: FakePlaybooks only checks that the customer has an SSH credential at all.
FAKE_SSH = SshCredential(
    user="root",
    private_key=SecretStr(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nZmFrZSBrZXk=\n-----END OPENSSH PRIVATE KEY-----\n"
    ),
    known_hosts="[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2UgaG9zdCBrZXk=\n",
)


@dataclass
class Fakes:
    """The outside systems of one test, and the ExecutorBuilder that wires them in."""

    directory: FakeDirectory = field(default_factory=FakeDirectory)
    mailbox: FakeMailbox = field(default_factory=FakeMailbox)
    playbooks: FakePlaybooks = field(default_factory=FakePlaybooks)
    # Entra ID has no fake: a test that serves the Graph simulator sets this, and the set
    # gets a real HttpGraph on the Core's store (it connects only when an Entra ID run asks).
    graph: bool = False

    def build(
        self,
        settings: Settings,
        db: Database,
        vetting: VettingLock,
        credentials: EncryptedCredentialSource,
    ) -> ExecutorSet:
        """An ExecutorBuilder: build_executors' wiring, with the fakes for the outside.

        The fakes read their logins from the Core's own credential store, as LdapDirectory,
        EwsMailbox and PlaybookExecutor do, and the playbooks are checked against its
        vetting lock."""
        self.directory.use_credentials(credentials)
        self.mailbox.use_credentials(credentials)
        self.playbooks.use(vetting, credentials)
        if not self.graph:
            return assemble(db, credentials, self.directory, self.mailbox, self.playbooks)
        graph = HttpGraph(credentials)
        # Customers with `mailbox.backend: graph` reach the simulator's Exchange Online.
        mailbox = MailboxBackends(self.mailbox, GraphMailbox(graph))
        return assemble(
            db, credentials, self.directory, mailbox, self.playbooks, (graph.close,), graph
        )

    def seed(self, credentials: EncryptedCredentialSource) -> None:
        """Store the logins the fakes accept, as an admin would (PUT /credentials)."""
        for customer in CUSTOMERS:
            credentials.store_directory_credential(
                customer, self.directory.service_credential(customer)
            )
            credentials.store_mailbox_credential(
                customer, self.mailbox.service_credential(customer)
            )
        for customer in SSH_HOSTS_CUSTOMERS:
            credentials.store_ssh_credential(customer, FAKE_SSH)


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


def fast_settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings of a fast-tier app; overrides as Settings fields."""
    credentials_dir = tmp_path / "credentials"
    credentials_dir.mkdir(mode=0o700, exist_ok=True)
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "project_dir": PROJECT_DIR,
        "credentials_dir": credentials_dir,
        "bootstrap_token": FAST_TOKEN,
        "workers": 2,
    }
    return Settings(**(values | overrides))


@pytest.fixture
def fast_settings(tmp_path: Path) -> Settings:
    return fast_settings_for(tmp_path)


def fast_core_for(settings: Settings, fakes: Fakes) -> Core:
    """A Core on the fakes, its store migrated and the fakes' logins in it (not started)."""
    core = Core(settings, build=fakes.build)
    try:
        # A run reads its customer's credentials in the gateways: migrate the store and
        # put them there first (start() migrates again: a no-op).
        core.open_store()
        fakes.seed(core.credentials)
    except BaseException:
        core.stop()
        raise
    return core


@pytest.fixture
def fast_core(fast_settings: Settings, fakes: Fakes) -> Iterator[Core]:
    core = fast_core_for(fast_settings, fakes)
    yield core
    # Stopped by the app's lifespan when a client ran it; a second stop only closes.
    core.stop()


@pytest.fixture
def fast_client(fast_settings: Settings, fast_core: Core) -> Iterator[TestClient]:
    with TestClient(create_app(fast_settings, fast_core), headers=FAST_AUTH) as client:
        yield client


def wait_until(condition: Callable[[], Any], timeout: float = 10, what: str = "it") -> Any:
    """Poll until condition() is truthy and return it; AssertionError after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.01)


def wait_for_end(client: TestClient, run_id: str, timeout: float = 10) -> dict[str, Any]:
    """The run once it ended (or waits for approval): polls GET /runs/{id}."""

    def ended() -> dict[str, Any] | None:
        run: dict[str, Any] = client.get(f"/runs/{run_id}").json()
        return run if run["status"] not in ("queued", "running") else None

    found: dict[str, Any] = wait_until(ended, timeout, f"the end of run {run_id}")
    return found


def post_run(
    client: TestClient,
    action: str,
    ticket: str,
    *,
    customer: str = "lab",
    check_mode: bool = False,
    wait: float = 0,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> Any:
    """POST /runs; the TestClient's answer, whatever its status."""
    body = {
        "customer": customer,
        "ticket_id": ticket,
        "action": action,
        "params": params,
        "check_mode": check_mode,
    }
    return client.post("/runs", json=body, params={"wait": wait} if wait else None, headers=headers)


def start(client: TestClient, action: str, ticket: str, **options: Any) -> dict[str, Any]:
    """POST /runs (202 expected); with wait=, the run as it stands when it ended."""
    answer = post_run(client, action, ticket, **options)
    assert answer.status_code == 202, answer.text
    run: dict[str, Any] = answer.json()
    return run


def refused_at_start(
    client: TestClient, action: str, ticket: str, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A run that policy refuses before it is queued: (the 403's error, the run recorded)."""
    answer = post_run(client, action, ticket, **options)
    assert answer.status_code == 403, answer.text
    error: dict[str, Any] = answer.json()["error"]
    recorded: dict[str, Any] = client.get(f"/runs/{error['details']['run_id']}").json()
    assert recorded["status"] == "refused" and recorded["started_at"] is None
    return error, recorded


def run_fix(client: TestClient, action: str, ticket: str, **options: Any) -> dict[str, Any]:
    """Start a run and answer it ended (or held for approval): the server waits for it."""
    run = start(client, action, ticket, wait=10, **options)
    return wait_for_end(client, run["id"]) if run["status"] in ("queued", "running") else run


def audit_types(client: TestClient, run_id: str) -> list[str]:
    """The audit record types of one run, in order."""
    page = client.get("/audit/records", params={"run_id": run_id, "limit": 500})
    assert page.status_code == 200, page.text
    return [record["type"] for record in page.json()["items"]]


__all__ = [
    "FAST_AUTH",
    "FAST_TOKEN",
    "Fakes",
    "audit_types",
    "fast_core_for",
    "fast_settings_for",
    "post_run",
    "refused_at_start",
    "run_fix",
    "start",
    "wait_for_end",
    "wait_until",
]
