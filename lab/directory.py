"""The lab's Active Directory: one Samba AD DC per lab customer, bound to loopback.

DirectoryLab.up()    installs Samba when missing (root), adds the DCs' loopback addresses,
                     provisions each customer's template once (samba-tool, lab CA, sample
                     data of directory_data, helpdesk-svc delegation), starts a copy of it
                     and stores helpdesk-svc's bind (DN, password, CA) in the credentials
DirectoryLab.down()  stops the DCs it started (by their pidfiles; nothing else)
DirectoryLab.reset() puts one customer's DC back to its template's data (well under 1 s)

Templates (and the CA keys and random passwords in them) live in default_template_dir()
unless told otherwise; see directory_dc for how labs on one machine share the DCs.

Clients verify TLS against each DC's own lab CA (credentials' ca.pem): the DC certificate
names the DC (tls_name in fixline.yml) and its address. Nothing here turns checks off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from lab import directory_helpdesk as helpdesk
from lab.directory_data import LAB_USER_PASSWORD, SITES, DirectorySite
from lab.directory_dc import LabDc
from lab.directory_ldap import Connection
from lab.process import SYSTEM_DEPS_HINT, LabError, run
from runner_api.secrets.credentials import DirectoryCredential, FileCredentialSource

__all__ = ["CUSTOMERS", "DirectoryLab"]

CUSTOMERS = ("lab", "contoso")
SAMBA_PACKAGES = ("samba-ad-dc", "samba-ad-provision")
# What samba-ad-provision installs: provisioning fails without it.
SCHEMA_DIR = Path("/usr/share/samba/setup/ad-schema")
INSTALL_TIMEOUT_S = 900


class DirectoryLab:
    """The lab customers' DCs, kept under one folder (templates may live elsewhere)."""

    def __init__(
        self,
        folder: Path,
        credentials: FileCredentialSource,
        customers: Sequence[str] = CUSTOMERS,
        template_dir: Path | None = None,
    ) -> None:
        self.folder = folder.absolute()
        self.credentials = credentials
        templates = (template_dir or default_template_dir()).absolute()
        unknown = sorted(set(customers) - set(SITES))
        if unknown:
            raise LabError(f"no lab directory data for customers {unknown}: see directory_data")
        self.dcs = {
            name: LabDc(SITES[name], self.folder / name, templates / name) for name in customers
        }

    def dc(self, customer: str) -> LabDc:
        """One customer's DC; LabError when this lab has none for it."""
        try:
            return self.dcs[customer]
        except KeyError:
            raise LabError(f"the lab directory has no DC for customer {customer!r}") from None

    def site(self, customer: str) -> DirectorySite:
        return self.dc(customer).site

    def up(self) -> None:
        """Start (or reuse) every DC and store helpdesk-svc's bind for each customer."""
        install_samba()
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for dc in self.dcs.values():
            ensure_loopback_address(dc.site.address)
            dc.start()
            self._store_credential(dc)

    def down(self) -> None:
        """Stop every DC this lab started."""
        for dc in self.dcs.values():
            dc.stop()

    def reset(self, customer: str) -> None:
        """Put one customer's DC back to the template's data (a fresh copy, restarted)."""
        dc = self.dc(customer)
        dc.reset()
        self._store_credential(dc)

    def admin_connection(self, customer: str) -> Connection:
        """Administrator of a customer's DC, bound over verified TLS (lab and tests only)."""
        return self.dc(customer).admin_connection()

    def describe(self) -> list[str]:
        """One human line per DC, for the demo output, and the sample agent logins."""
        lines = [
            f"Directory of customer {name!r}: {dc.site.url} ({dc.site.tls_name}, "
            f"realm {dc.site.realm}, pid {dc.pid()}), helpdesk-svc bind stored with the "
            "credentials"
            for name, dc in self.dcs.items()
        ]
        if helpdesk.HELPDESK_CUSTOMER in self.dcs:
            lines.append(
                f"Agent logins (POST /auth/login), password {LAB_USER_PASSWORD!r} for each:"
            )
            lines += [f"  {agent.sam:<14} {agent.purpose}" for agent in helpdesk.AGENTS]
        return lines

    def login_settings(self) -> dict[str, Any]:
        """Settings fields for agent login against the helpdesk's lab accounts."""
        dc = self.dc(helpdesk.HELPDESK_CUSTOMER)
        return {
            "login_ldap_url": dc.site.url,
            "login_tls_name": dc.site.tls_name,
            # Only the helpdesk's OU: the customer's own users never log in to Fixline.
            "login_base_dn": dc.site.dn(helpdesk.HELPDESK_OU),
            "login_ca_file": dc.ca_path,
            "login_bind_dn": dc.secret("login.dn"),
            "login_bind_password": SecretStr(dc.secret("login.password")),
        }

    def _store_credential(self, dc: LabDc) -> None:
        self.credentials.store_directory_credential(
            dc.site.customer,
            DirectoryCredential(
                bind_dn=dc.secret("service.dn"),
                password=SecretStr(dc.secret("service.password")),
                ca_pem=dc.ca_path.read_text(),
            ),
        )


def default_template_dir() -> Path:
    """Where templates live unless told: per user, shared by every lab of this machine.

    Shared because the DCs' addresses are: the demo's lab, the `lab` and `directory_lab`
    test fixtures and bench runs use one template (built once, about 15 s a customer) and
    find each other's running DC instead of fighting over port 636.
    """
    return Path(tempfile.gettempdir()) / f"fixline-lab-directory-{os.geteuid()}"


def install_samba() -> None:
    """Install the Samba AD DC packages when missing (root only, else a clear LabError)."""
    if shutil.which("samba") and shutil.which("samba-tool") and SCHEMA_DIR.is_dir():
        return
    if os.geteuid() != 0:
        raise LabError(f"Samba is not installed ({' '.join(SAMBA_PACKAGES)}): {SYSTEM_DEPS_HINT}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = [
        "apt-get", "install", "-y", "-qq", "--no-install-recommends",
        "-o", "DPkg::Lock::Timeout=300", *SAMBA_PACKAGES,
    ]  # fmt: skip
    if _apt(install, env) != 0:
        # Maybe the package lists are missing or old: update them and try once more.
        _apt(["apt-get", "update", "-qq"], env)
        if _apt(install, env) != 0:
            raise LabError(f"`{' '.join(install)}` failed: {SYSTEM_DEPS_HINT} and read its output")


def _apt(args: list[str], env: dict[str, str]) -> int:
    try:
        done = subprocess.run(
            args, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"`{' '.join(args)}` failed: {exc}") from exc
    return done.returncode


def ensure_loopback_address(address: str) -> None:
    """Add address/32 to lo unless an interface has it (samba only binds configured ones)."""
    shown = run(["ip", "-o", "-4", "addr", "show"])
    if any(f" {address}/" in line for line in shown.splitlines()):
        return
    if os.geteuid() != 0:
        raise LabError(f"the lab DC needs {address} on lo: run `ip addr add {address}/32 dev lo`")
    run(["ip", "addr", "add", f"{address}/32", "dev", "lo"])
