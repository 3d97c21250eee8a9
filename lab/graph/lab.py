"""EntraLab: the Graph simulator (not Microsoft) as a part of `fixline demo`, seeded.

EntraLab.start()  serves the simulator on a fixed loopback port (inventories/fabrikam names
                  it), seeded with the sample tenants, and stores each seeded customer's
                  `graph` credential, with the simulator's CA, in the credentials folder
EntraLab.stop()   stops it (tenants live in memory: a restart begins from the seed again,
                  with new app certificates, stored again; the CA in state_dir stays)
"""

from __future__ import annotations

from pathlib import Path

from lab.graph.credentials import AppCredential
from lab.graph.seed import seed
from lab.graph.server import GraphSimulator
from lab.process import LabError
from runner_api.secrets.credentials import FileCredentialSource

# The port inventories/fabrikam/fixline.yml names (entra.authority_host, entra.graph_url);
# beside the EWS simulator's 8441 and the lab's TLS service on 8443.
DEFAULT_PORT = 8442
# What `fixline demo` suggests trying: an ordinary cloud-only user of the seed (no role,
# no protected group, not a VIP or denied in inventories/fabrikam).
SAMPLE_USER = "adele.vance@fabrikam.example"
# What each seeded tenant is to the demo's customers (lab/graph/seed.py has the accounts).
ROLES = {
    "fabrikam": "cloud-only customer (identity entra)",
    # Stored all the same, so adding an `entra:` section to inventories/lab tries hybrid.
    "lab": "hybrid copies of the lab's AD users, unused while inventories/lab says identity ad",
}


class EntraLab:
    """The seeded simulator for the demo, with its apps' credentials in the credentials."""

    def __init__(
        self, credentials: FileCredentialSource, state_dir: Path, port: int = DEFAULT_PORT
    ) -> None:
        self.credentials = credentials
        # The TLS files (CA, server certificate) are issued once into state_dir and reused,
        # so a credential stored by an earlier start still verifies the simulator.
        self.simulator = GraphSimulator(state_dir, port=port)
        self.apps: dict[str, AppCredential] = {}

    def start(self) -> GraphSimulator:
        """Serve the seeded simulator and store each seeded customer's graph credential."""
        if not self.simulator.running():
            if not self.apps:
                self.apps = seed(self.simulator)
            try:
                self.simulator.start()
            except OSError as exc:
                port = self.simulator.port
                raise LabError(
                    f"the Graph simulator cannot listen on {self.simulator.host}:{port} "
                    f"({exc.strerror}): find what holds it with `ss -ltnp 'sport = :{port}'` "
                    "(another `fixline demo`?)"
                ) from exc
        for customer, app in self.apps.items():
            self.credentials.store_graph_credential(
                customer, app.graph_credential(self.simulator.ca_pem)
            )
        return self.simulator

    def stop(self) -> None:
        self.simulator.stop()

    def domain(self, customer: str) -> str:
        """The tenant domain of a seeded customer (its users' UPN suffix)."""
        return self.simulator.state.tenants[self.apps[customer].tenant_id.lower()].domain

    def describe(self) -> list[str]:
        """Human lines for the demo output; it is a simulator, and says so."""
        return [
            f"Microsoft Graph simulator (not Microsoft) at {self.simulator.url}: Entra ID "
            "tenants, their app credentials stored with the credentials",
            *(
                f"  tenant {self.domain(customer)} for customer {customer!r}: "
                f"{ROLES.get(customer, 'sample tenant')}"
                for customer in self.apps
            ),
            "  cloud customer fabrikam: try  .venv/bin/fixline run session_revoke "
            f"--customer fabrikam --ticket DEMO-3 --param username={SAMPLE_USER} --wait",
        ]
