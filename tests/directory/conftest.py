"""Directory tests: hand-built runs of DirectoryExecutor against the lab's real Samba DCs.

Integration tests need the `directory_lab` fixture (`-p tests.plugins.directory_lab`).
"""

from __future__ import annotations

import threading
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# ldap3 2.9.1 touches pyasn1's deprecated tagMap/typeMap at import; the suite turns
# warnings into errors. Until pyproject ignores them for ldap3, import it quietly here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import ldap3
    from ldap3 import BASE

from lab.directory_data import DENY_LISTED_USER, LAB_USER_PASSWORD, SITES, VPN_GROUP
from runner_api.catalog.models import ActionSpec
from runner_api.customers.models import Customer, DirectoryConfig
from runner_api.directory import DirectoryExecutor, LdapDirectory, directory_actions
from runner_api.runs.context import EventIn, Outcome, RunContext
from runner_api.secrets.credentials import CredentialSource
from runner_api.secrets.redactor import Redactor
from tests.plugins.directory_lab import DirectoryLabHandle

SPECS: dict[str, ActionSpec] = {spec.name: spec for spec in directory_actions()}
STATE_ATTRIBUTES = ["pwdLastSet", "lockoutTime", "userAccountControl", "uSNChanged", "memberOf"]


def lab_customer(name: str = "lab", **changes: Any) -> Customer:
    """A Customer for one lab DC, as its fixline.yml would describe it."""
    site = SITES[name]
    config: dict[str, Any] = {
        "url": site.url,
        "tls_name": site.tls_name,
        "base_dn": site.base_dn,
        "user_ous": site.user_ous,
        "protected_groups": (site.protected_group,),
        "deny_list": (DENY_LISTED_USER,),
        "timeout_s": 5.0,
    }
    config.update(changes)
    return Customer(
        name=name,
        display_name=name,
        inventory_dir=Path("/nonexistent"),
        allowlists={"groups": frozenset({VPN_GROUP})},
        directory=DirectoryConfig(**config),
    )


@dataclass
class Run:
    """One hand-built run: its context, what it emitted and what it revealed."""

    ctx: RunContext
    events: list[EventIn] = field(default_factory=list)
    revealed: list[str] = field(default_factory=list)

    def reveal(self, secret: str) -> str:
        self.revealed.append(secret)
        return f"reveal-{len(self.revealed)}"

    def texts(self, outcome: Outcome) -> str:
        """Every text the run produced (events and outcome), for leak checks."""
        parts = [repr(event) for event in self.events]
        parts += [repr(outcome.summary), repr(outcome.error), repr(outcome.diff)]
        parts += [repr(dict(outcome.details)), repr(outcome.follow_ups)]
        return "\n".join(parts)


@dataclass
class DirectoryLabView:
    """What the tests need of the `directory_lab` fixture, whatever its exact shape."""

    handle: Any

    @property
    def credentials(self) -> CredentialSource:
        creds: CredentialSource = self.handle.credentials
        return creds

    def admin(self, customer: str = "lab") -> ldap3.Connection:
        conn: ldap3.Connection = self.handle.admin_connection(customer)
        return conn

    def reset(self, customer: str = "lab") -> None:
        self.handle.reset(customer)

    def state(self, username: str, customer: str = "lab") -> dict[str, list[str]]:
        """A user's write-relevant attributes, read as Administrator."""
        conn = self.admin(customer)
        try:
            dn = self.dn(conn, username, customer)
            conn.search(dn, "(objectClass=*)", BASE, attributes=STATE_ATTRIBUTES)
            raw = conn.response[0]["raw_attributes"]
            return {k: sorted(v.decode() for v in raw.get(k, [])) for k in STATE_ATTRIBUTES}
        finally:
            conn.unbind()

    @staticmethod
    def dn(conn: ldap3.Connection, username: str, customer: str = "lab") -> str:
        base = SITES[customer].base_dn
        conn.search(base, f"(sAMAccountName={username})", attributes=["cn"])
        return str(conn.response[0]["dn"])

    def bind_result(self, username: str, password: str, customer: str = "lab") -> dict[str, Any]:
        """The result of a simple bind as a user over verified TLS."""
        conn = self.handle.connection(customer, username, password)
        try:
            conn.bind()
            return dict(conn.result)
        finally:
            conn.unbind()


# How the caller of a reset was verified (a required parameter of password_reset).
VERIFIED = {"method": "callback", "note": "called back on the number on record"}


@pytest.fixture(scope="session")
def dlab(directory_lab: DirectoryLabHandle) -> DirectoryLabView:
    """The lab DCs (a direct dependency, so the tests using it are marked `lab`)."""
    return DirectoryLabView(directory_lab)


@pytest.fixture(scope="session")
def gateway(dlab: DirectoryLabView) -> Iterator[LdapDirectory]:
    directory = LdapDirectory(dlab.credentials)
    yield directory
    directory.close()


@pytest.fixture(scope="session")
def executor(gateway: LdapDirectory) -> DirectoryExecutor:
    return DirectoryExecutor(gateway)


@pytest.fixture
def make_run() -> Callable[..., Run]:
    """Build a RunContext by hand for one directory action."""

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
            customer=customer or lab_customer(),
            action=SPECS[action],
            target=str(params.get("username", "")),
            params=params,
            check_mode=check_mode,
            redactor=Redactor(),
            timeout_s=timeout_s,
            emit=run.events.append,
            reveal=run.reveal,
            cancel_requested=threading.Event(),
        )
        return run

    return _make


LAB_PASSWORD = LAB_USER_PASSWORD
