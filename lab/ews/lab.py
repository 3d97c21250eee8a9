"""MailboxLab: the EWS simulator as a lab part, seeded for the lab customers.

MailboxLab.start()  serves the simulator on a fixed loopback port (inventories point at it)
                    and stores each customer's service-account login in the credentials
MailboxLab.stop()   stops it (state is in memory: a restart begins from the seed again)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from pydantic import SecretStr

from lab.ews.server import EwsSimulator
from lab.ews.state import Delegate, Permission, SimulatorState
from runner_api.secrets.credentials import FileCredentialSource, MailboxCredential

# The port inventories/*/fixline.yml name for the simulator (mailbox.ews_url).
DEFAULT_PORT = 8441
SERVICE_USER = "svc-helpdesk"
PEOPLE = (
    ("anna.schmidt", "Anna Schmidt"),
    ("ben.carter", "Ben Carter"),
    ("emma.larsen", "Emma Larsen"),
    ("henry.moreau", "Henry Moreau"),
    ("isabel.garcia", "Isabel Garcia"),
    ("maria.rossi", "Maria Rossi"),
)
# A colleague since deleted from the directory left a Reviewer entry on Henry's calendar:
# Exchange keeps it and shows only this SID (GetFolder's UnknownEntries).
DELETED_USER_SID = "S-1-5-21-1004336348-1177238915-682003330-1142"


@dataclass(frozen=True)
class MailboxSite:
    """One lab customer's Exchange organisation in the simulator."""

    customer: str
    domain: str

    @property
    def service_user(self) -> str:
        return f"{SERVICE_USER}@{self.domain}"

    def address(self, local: str) -> str:
        return f"{local}@{self.domain}"


SITES = {
    "lab": MailboxSite("lab", "lab.test"),
    "contoso": MailboxSite("contoso", "contoso.test"),
}


def seed(state: SimulatorState, site: MailboxSite, password: str) -> None:
    """The sample mailboxes of one site, its service account (impersonation on its domain)."""
    state.add_account(site.service_user, password, impersonates=(site.domain,))
    state.add_mailbox(site.service_user, "Helpdesk service account")
    for local, name in PEOPLE:
        state.add_mailbox(site.address(local), name)
    anna = state.mailboxes[site.address("anna.schmidt")]
    anna.delegates.append(Delegate(site.address("ben.carter"), "Ben Carter", "Editor", "Reviewer"))
    anna.folders["calendar"].permissions.append(Permission(site.address("emma.larsen"), "Reviewer"))
    state.leave_unknown_entry(
        site.address("henry.moreau"), "calendar", DELETED_USER_SID, "Reviewer"
    )


class MailboxLab:
    """The simulator for the lab customers, with their service logins in the credentials."""

    def __init__(
        self,
        credentials: FileCredentialSource,
        port: int = DEFAULT_PORT,
        sites: tuple[MailboxSite, ...] = tuple(SITES.values()),
    ) -> None:
        self.credentials = credentials
        self.sites = sites
        self.simulator = EwsSimulator(port=port)
        self._passwords = {site.customer: secrets.token_urlsafe(18) for site in sites}

    def start(self) -> EwsSimulator:
        """Serve the seeded simulator and store each customer's mailbox credential."""
        if not self.simulator.running():
            for site in self.sites:
                seed(self.simulator.state, site, self._passwords[site.customer])
            self.simulator.start()
        for site in self.sites:
            self.credentials.store_mailbox_credential(
                site.customer,
                MailboxCredential(site.service_user, SecretStr(self._passwords[site.customer])),
            )
        return self.simulator

    def stop(self) -> None:
        self.simulator.stop()

    def describe(self) -> list[str]:
        """Human lines for the demo output; it is a simulator, and says so."""
        return [
            self.simulator.describe(),
            *(
                f"Mailboxes of customer {site.customer!r}: @{site.domain} in the EWS simulator, "
                f"{site.service_user} login stored with the credentials"
                for site in self.sites
            ),
        ]
