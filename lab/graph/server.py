"""GraphSimulator: the identity platform and Microsoft Graph v1.0 on one loopback HTTPS port.

A stdlib threaded server with TLS from a throwaway CA in state_dir (lab/directory_tls.py), so
msal's https-only authority rule holds and clients verify the simulator as they would the real
service. Routes:
  GET  /{tenant}/v2.0/.well-known/openid-configuration   discovery (lab/graph/identity.py)
  POST /{tenant}/oauth2/v2.0/token                       client credentials with an assertion
  *    /v1.0/... (and /beta/roleManagement/...)          Graph (lab/graph/routes.py)
It is a simulator, not Microsoft Graph: only the routes Fixline uses exist.
"""

from __future__ import annotations

import copy
import logging
import secrets
import ssl
import threading
from collections.abc import Iterable
from pathlib import Path

from lab.background import serve_in_background, stop_serving
from lab.directory_tls import DcTlsFiles, issue_dc_tls
from lab.graph.credentials import fingerprints
from lab.graph.dispatch import Dispatcher
from lab.graph.faults import Faults
from lab.graph.state import App, GraphState, Request, Tenant
from lab.graph.wire import SimulatorServer

log = logging.getLogger(__name__)
# What a registered app is granted unless told otherwise: the least-privileged set
# Fixline's Entra ID and Exchange Online actions need (docs: the app registration).
DEFAULT_PERMISSIONS = frozenset(
    {
        "User.Read.All",
        "User-PasswordProfile.ReadWrite.All",
        "User.EnableDisableAccount.All",
        "User.RevokeSessions.All",
        "UserAuthenticationMethod.ReadWrite.All",
        "UserAuthMethod-TAP.ReadWrite.All",
        "GroupMember.ReadWrite.All",
        "Group.Read.All",
        "RoleManagement.Read.Directory",
        "AuditLog.Read.All",
        # Automatic replies and inbox rules (read and write), calendar sharing (read and
        # write), the inbox's counts.
        "MailboxSettings.ReadWrite",
        "Calendars.ReadWrite",
        "Mail.ReadBasic.All",
    }
)


class GraphSimulator:
    """start(), stop(), url, authority(), graph_url, ca_pem; state, faults, request log."""

    def __init__(self, state_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state_dir = state_dir
        self.host = host
        self.port = port
        self.state = GraphState()
        self.faults = Faults()
        self._requests: list[Request] = []
        # The secret signs the access tokens this simulator issues (no other accepts them);
        # the url is known once the port is.
        self._dispatcher = Dispatcher(
            self.state, self.faults, secrets.token_bytes(32), "", self._requests
        )
        self._tls = DcTlsFiles(state_dir / "tls")
        self._server: SimulatorServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def graph_url(self) -> str:
        return f"{self.url}/v1.0"

    def authority(self, tenant_id: str) -> str:
        """What msal gets as its authority for one tenant."""
        return f"{self.url}/{tenant_id}"

    @property
    def ca_pem(self) -> str:
        """The CA a client must trust to reach the simulator."""
        return self._tls.ca_path.read_text()

    @property
    def ca_path(self) -> Path:
        return self._tls.ca_path

    @property
    def requests(self) -> list[Request]:
        with self.state.lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self.state.lock:
            self._requests.clear()

    def start(self) -> GraphSimulator:
        """Listen (port 0 picks a free one) and serve in a daemon thread."""
        if self._server is not None:
            return self
        if not self._tls.cert_path.exists():
            issue_dc_tls(self._tls, "Fixline Graph simulator CA", "localhost", "127.0.0.1")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self._tls.cert_path, self._tls.key_path)
        self.faults.released.clear()
        server = SimulatorServer((self.host, self.port), context, self._dispatcher)
        self.port = int(server.server_address[1])
        self._dispatcher.url = self.url
        self._server = server
        self._thread = serve_in_background(server, "graph-simulator")
        log.info("Graph simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Release stalled answers and stop serving."""
        self.faults.released.set()
        stop_serving(self._server, self._thread)
        self._server, self._thread = None, None

    def running(self) -> bool:
        return self._server is not None

    def describe(self) -> str:
        """One human line for the demo output."""
        tenants = ", ".join(t.domain for t in self.state.tenants.values())
        return f"Entra ID and Graph (simulator, not Microsoft): {self.url}, tenants {tenants}"

    def add_tenant(self, tenant_id: str, domain: str, display_name: str) -> Tenant:
        return self.state.add_tenant(tenant_id, domain, display_name)

    def register_app(
        self,
        tenant_id: str,
        client_id: str,
        certificate_pem: str,
        permissions: Iterable[str] = DEFAULT_PERMISSIONS,
        privileged: bool = False,
    ) -> App:
        """An app in the tenant that proves itself with this certificate's key.

        `privileged`: the app holds Privileged Authentication Administrator, so it may change
        the password, sign-in and methods of users who hold directory roles.
        """
        sha1, sha256 = fingerprints(certificate_pem)
        app = App(client_id.lower(), sha1, sha256, certificate_pem, set(permissions), privileged)
        with self.state.lock:
            tenant = self.state.tenants[tenant_id.lower()]
            tenant.apps[app.client_id] = app
        return app

    # Faults (lab/graph/faults.py): the next Graph calls fail as asked.
    def throttle(self, count: int, retry_after_s: int = 1, status: int = 429) -> None:
        self.faults.throttle(count, retry_after_s, status)

    def stall(self, seconds: float, count: int | None = None) -> None:
        self.faults.stall(seconds, count)

    def lose_answer(self, count: int = 1) -> None:
        self.faults.lose_answer(count)

    def replication_delay(self, seconds: float) -> None:
        self.faults.replication_delay(seconds)

    def deny(self, permission: str) -> None:
        self.faults.deny(permission)

    def clear_faults(self) -> None:
        self.faults.clear()

    def snapshot(self) -> dict[str, Tenant]:
        """A deep copy of every tenant, for restore() (tests go back to the seed with it)."""
        with self.state.lock:
            return copy.deepcopy(self.state.tenants)

    def restore(self, snapshot: dict[str, Tenant]) -> None:
        """Tenants back as snapshot() took them; no faults, an empty request log."""
        with self.state.lock:
            self.state.tenants = copy.deepcopy(snapshot)
            self._requests.clear()
        self.faults.clear()
        self.faults.released.clear()
