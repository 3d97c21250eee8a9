"""The local lab: this machine posing as a customer's host, reached over real SSH.

Lab.up()   loopback sshd (own keys), demo services fixline-lab-web and fixline-lab-tls,
           OpenVPN in netns fixline-vpn (with customer "lab"'s CA, see vpn.py), apt repo
           with fixline-lab-hello, and the SSH login of customer "lab" in the credentials;
           the Samba AD DCs of customers "lab" and "contoso" (see directory.py)
Lab.down() stops what up() started and withdraws the apt source
"""

from __future__ import annotations

import os
from pathlib import Path

from lab import lab_service, tls_service, vpn
from lab.apt_repo import PACKAGE, VERSION, LabAptRepo
from lab.demo_wiring import DemoWiring
from lab.directory import DirectoryLab
from lab.process import LabError
from lab.sshd import LoopbackSshd
from lab.vpn import VpnLab
from runner_api.secrets.credentials import FileCredentialSource, SshCredential

__all__ = ["CUSTOMER", "HOST", "DemoWiring", "Lab", "LabError"]

# The lab's customer and host, as named in inventories/lab/.
CUSTOMER = "lab"
HOST = "lab-host"


class Lab:
    """Everything the lab runs, kept under one folder (the demo service lives in /etc)."""

    def __init__(
        self, lab_dir: Path, credentials: FileCredentialSource, ssh_port: int = 2222
    ) -> None:
        self.lab_dir = lab_dir.absolute()
        self.credentials = credentials
        self.sshd = LoopbackSshd(self.lab_dir / "ssh", port=ssh_port)
        self.apt_repo = LabAptRepo(self.lab_dir / "apt")
        self.directory = DirectoryLab(self.lab_dir / "directory", credentials)
        self.vpn = VpnLab(credentials, CUSTOMER, self.lab_dir / "ca")

    @property
    def ssh_port(self) -> int:
        return self.sshd.port

    @property
    def private_key_path(self) -> Path:
        """The client key file that logs in as root on the lab host."""
        return self.sshd.client_key_path

    @property
    def known_hosts_path(self) -> Path:
        """The known_hosts file pinning the lab sshd's host key."""
        return self.sshd.known_hosts_path

    def up(self) -> None:
        """Start (or reuse) every lab component and store the lab customer's SSH login."""
        if os.geteuid() != 0:
            # The lab host is this machine: an init script, an apt source and root's sshd.
            raise LabError("the lab needs root (it installs an init script and an apt source)")
        self.lab_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.sshd.start()
        lab_service.install()
        lab_service.start()
        tls_service.install()
        tls_service.start()
        self.vpn.up()
        self.apt_repo.publish()
        self.directory.up()
        self.credentials.store_ssh_credential(
            CUSTOMER,
            SshCredential(
                user="root",
                private_key=self.sshd.private_key(),
                known_hosts=self.sshd.known_hosts(),
            ),
        )

    def down(self) -> None:
        """Stop the sshd and the demo service, and withdraw the apt source."""
        self.sshd.stop()
        lab_service.stop()
        tls_service.stop()
        # The lab host is this machine: its trust store must not keep a throwaway lab CA.
        tls_service.withdraw_trust(CUSTOMER)
        self.vpn.down()
        self.apt_repo.withdraw()
        self.directory.down()

    def describe(self) -> str:
        """A few human lines on what runs where, for the demo output."""
        pid = self.sshd.pid()
        return "\n".join(
            [
                f"Lab host {HOST}: sshd on {self.sshd.host}:{self.ssh_port} "
                f"(pid {pid}, root by key only, host key pinned in {self.known_hosts_path})",
                f"Demo service {lab_service.NAME}: http://127.0.0.1:{lab_service.PORT}/ "
                f"via {lab_service.INIT_SCRIPT}",
                f"TLS service {tls_service.NAME}: https://127.0.0.1:{tls_service.PORT}/ "
                f"(cert_install target) via {tls_service.INIT_SCRIPT}",
                f"VPN server: OpenVPN in netns {vpn.NETNS} (pid {self.vpn.pid()}), "
                f"management {vpn.MANAGEMENT}",
                f"Apt repository: {PACKAGE} {VERSION} from file:{self.apt_repo.folder}",
                f"Customer {CUSTOMER!r}: SSH login stored with the credentials",
                *self.directory.describe(),
            ]
        )
