"""The `directory_lab` fixture: the lab's Samba AD DCs (customers lab and contoso).

One session-wide DirectoryLab with its own credentials folder. The DCs are copies of
templates shared by the machine's labs (built once, about 15 s a customer; see
lab/directory_dc.py), so a warm start takes about a second.

Tests that change directory state they did not create call `directory_lab.reset(customer)`
(or use `fresh_directory_lab`) to get the sample data of lab/directory_data back.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.directory import CUSTOMERS, DirectoryLab
from lab.directory_data import (
    DENY_LISTED_USER,
    LAB_USER_PASSWORD,
    SERVICE_ACCOUNT,
    VPN_GROUP,
    LabUser,
    users_of,
)
from lab.directory_ldap import BASE, Connection, LDAPException
from lab.directory_seed import ldaps_server
from lab.process import LabError
from runner_api.secrets.credentials import FileCredentialSource


@dataclass(frozen=True)
class DirectoryCustomer:
    """One lab customer's DC, as tests see it."""

    customer: str
    address: str
    url: str
    tls_name: str
    realm: str
    dns_domain: str
    base_dn: str
    user_ous: tuple[str, ...]
    protected_group: str
    deny_listed_user: str
    vpn_group: str
    ca_path: Path
    # Test-side inspection and set-up only: Fixline binds as helpdesk-svc.
    admin_user: str
    admin_password: str
    service_user: str
    service_dn: str
    service_password: str
    users: tuple[LabUser, ...]
    user_password: str = LAB_USER_PASSWORD

    def user_dn(self, sam: str) -> str:
        """The DN of a sample user (KeyError when this DC has no such user)."""
        for user in self.users:
            if user.sam == sam:
                return f"{user.relative_dn()},{self.base_dn}"
        raise KeyError(sam)

    def upn(self, sam: str) -> str:
        return f"{sam}@{self.dns_domain}"


@dataclass(frozen=True)
class DirectoryLabHandle:
    """What tests get from the `directory_lab` fixture."""

    lab: DirectoryLab
    credentials: FileCredentialSource
    credentials_dir: Path
    customers: dict[str, DirectoryCustomer]

    def __getitem__(self, customer: str) -> DirectoryCustomer:
        return self.customers[customer]

    def admin_connection(self, customer: str = "lab") -> Connection:
        """Administrator of the customer's DC, bound over verified TLS; unbind when done."""
        return self.lab.admin_connection(customer)

    def connection(self, customer: str, user: str, password: str) -> Connection:
        """An unbound connection as user (sAMAccountName, UPN or DN) over verified TLS.

        Call .bind() and read .result: 49 with data 52e/533/773/775 and so on.
        """
        info = self.customers[customer]
        principal = user if "@" in user or "=" in user else info.upn(user)
        site = self.lab.site(customer)
        return Connection(
            ldaps_server(site, info.ca_path), user=principal, password=password, receive_timeout=10
        )

    def service_connection(self, customer: str = "lab") -> Connection:
        """helpdesk-svc (Fixline's delegated account), bound over verified TLS."""
        info = self.customers[customer]
        conn = self.connection(customer, info.service_dn, info.service_password)
        if not conn.bind():
            result = conn.result
            conn.unbind()
            pytest.fail(f"helpdesk-svc cannot bind on {customer}: {result}")
        return conn

    def reset(self, customer: str) -> None:
        """Put a customer's DC back to the sample data (a fresh copy; under a second)."""
        self.lab.reset(customer)

    def user_state(self, customer: str, sam: str, attributes: list[str]) -> dict[str, list[str]]:
        """Raw attribute values of a user (as text), read as Administrator."""
        conn = self.admin_connection(customer)
        try:
            dn = self.customers[customer].user_dn(sam)
            conn.search(dn, "(objectClass=*)", BASE, attributes=attributes)
            raw = conn.response[0]["raw_attributes"]
            return {name: [v.decode() for v in raw.get(name, [])] for name in attributes}
        finally:
            conn.unbind()


def _describe(lab: DirectoryLab, customer: str) -> DirectoryCustomer:
    dc = lab.dc(customer)
    site = dc.site
    return DirectoryCustomer(
        customer=customer,
        address=site.address,
        url=site.url,
        tls_name=site.tls_name,
        realm=site.realm,
        dns_domain=site.dns_domain,
        base_dn=site.base_dn,
        user_ous=site.user_ous,
        protected_group=site.protected_group,
        deny_listed_user=DENY_LISTED_USER,
        vpn_group=VPN_GROUP,
        ca_path=dc.ca_path,
        admin_user=f"Administrator@{site.dns_domain}",
        admin_password=dc.secret("admin.password"),
        service_user=SERVICE_ACCOUNT,
        service_dn=dc.secret("service.dn"),
        service_password=dc.secret("service.password"),
        users=users_of(customer),
    )


@pytest.fixture(scope="session")
def directory_lab(
    tmp_path_factory: pytest.TempPathFactory, lab_machine_lock: None
) -> Iterator[DirectoryLabHandle]:
    """Both lab DCs for the whole session; fails (never skips) when they cannot start."""
    root = tmp_path_factory.mktemp("directory_lab")
    credentials_dir = root / "credentials"
    credentials = FileCredentialSource(credentials_dir)
    lab = DirectoryLab(root / "directory", credentials, CUSTOMERS)
    if shutil.which("samba") is None and shutil.which("apt-get") is None:
        pytest.fail("Samba is not installed and apt-get is missing: run `make system-deps`")
    try:
        lab.up()
        customers = {name: _describe(lab, name) for name in CUSTOMERS}
    except (LabError, LDAPException, OSError) as exc:
        lab.down()
        detail = exc.message if isinstance(exc, LabError) else repr(exc)
        hint = "" if "make system-deps" in detail else " (is `make system-deps` done, as root?)"
        pytest.fail(f"the lab directory did not start: {detail}{hint}")
    yield DirectoryLabHandle(lab, credentials, credentials_dir, customers)
    lab.down()


@pytest.fixture
def fresh_directory_lab(directory_lab: DirectoryLabHandle) -> DirectoryLabHandle:
    """The directory lab with both DCs back at the sample data (about 1 s)."""
    for customer in directory_lab.customers:
        directory_lab.reset(customer)
    return directory_lab
