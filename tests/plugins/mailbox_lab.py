"""The `mailbox_lab` fixture: the EWS simulator (not Exchange), in-process, for real exchangelib.

One simulator per session on a free loopback port; every test gets it back at the seed
(lab and contoso sites of lab/ews), with no injected faults and an empty request
log. `mailbox_lab.customer("lab")` is a Customer whose mailbox config points at it, and
`mailbox_lab.credentials` holds the service logins.

The simulator refuses schema-invalid requests as Exchange does (ErrorSchemaValidation). A
test whose requests it refused fails at teardown, even when the run failed as expected
for another reason, unless the test sets `mailbox_lab.schema_faults_expected`: a change
in what Fixline or exchangelib sends shows here before it reaches a real Exchange.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from exchangelib.protocol import CachingProtocol
from pydantic import SecretStr

from lab.ews import SITES, EwsSimulator, MailboxSite, Request, SimulatorState, seed
from lab.ews.lab import MailboxLab
from runner_api.customers.models import Customer, MailboxConfig
from runner_api.secrets.credentials import FileCredentialSource, MailboxCredential
from tests.plugins.lab import LabHandle

PASSWORD = "simulator-password-1"


@dataclass
class MailboxLabHandle:
    """What tests get: the simulator, credentials, and Customers pointing at it."""

    simulator: EwsSimulator
    credentials: FileCredentialSource
    credentials_dir: Path
    sites: dict[str, MailboxSite] = field(default_factory=lambda: dict(SITES))
    # Set by tests that send invalid requests on purpose.
    schema_faults_expected: bool = False

    @property
    def state(self) -> SimulatorState:
        return self.simulator.state

    @property
    def requests(self) -> list[Request]:
        return self.simulator.requests

    def customer(self, name: str = "lab", **changes: Any) -> Customer:
        """A Customer as inventories/<name>/fixline.yml would describe it, on the simulator."""
        site = self.sites[name]
        config: dict[str, Any] = {
            "ews_url": self.simulator.url,
            "accepted_domains": (site.domain,),
            "version": "15.1.2507.6",
            "auth_type": "basic",
            "timeout_s": 5.0,
        }
        config.update(changes)
        return Customer(
            name=name,
            display_name=name,
            inventory_dir=Path("/nonexistent"),
            mailbox=MailboxConfig(**config),
        )

    def address(self, local: str, customer: str = "lab") -> str:
        return self.sites[customer].address(local)

    def reset(self) -> None:
        """Back to the seed: fresh state, no faults, empty log, hung requests released."""
        self.simulator.released.set()
        state = SimulatorState()
        for site in self.sites.values():
            seed(state, site, PASSWORD)
            self.credentials.store_mailbox_credential(
                site.customer, MailboxCredential(site.service_user, SecretStr(PASSWORD))
            )
        self.simulator.state = state
        self.simulator.released.clear()


@pytest.fixture(scope="session")
def mailbox_simulator() -> Iterator[EwsSimulator]:
    """The EWS simulator for the session, on a free port of 127.0.0.1."""
    simulator = EwsSimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def mailbox_lab(
    mailbox_simulator: EwsSimulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MailboxLabHandle]:
    """The simulator back at its seed, with credentials for customers lab and contoso."""
    credentials_dir = tmp_path_factory.mktemp("mailbox-credentials")
    handle = MailboxLabHandle(
        mailbox_simulator, FileCredentialSource(credentials_dir), credentials_dir
    )
    handle.reset()
    yield handle
    # Release hung requests; exchangelib keeps one Protocol per endpoint and login per
    # process: drop them so no session (or shrunken pool) outlives the test.
    mailbox_simulator.released.set()
    CachingProtocol.clear_cache()
    refused = mailbox_simulator.state.refused
    if refused and not handle.schema_faults_expected:
        pytest.fail(
            f"the EWS simulator refused {len(refused)} request(s) as schema-invalid: "
            + "; ".join(f"{r.operation}: {r.violation}" for r in refused)
        )


@pytest.fixture
def ews_simulator(lab: LabHandle) -> Iterator[MailboxLab]:
    """The simulator on the port inventories/*/fixline.yml name, logins in the lab's folder."""
    simulator = MailboxLab(lab.credentials)
    simulator.start()
    yield simulator
    simulator.stop()
