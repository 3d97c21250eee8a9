"""The lab customer's VPN server: Debian's OpenVPN inside its own network namespace.

The tunnel device lives in netns `fixline-vpn`, so the machine's routing is never touched;
the config, ccd folder, CRL and management socket are plain files the `vpn_access` role
manages over SSH. The customer CA comes from the credentials folder (created here on
first use, like the lab's SSH key), and the server certificate is issued from it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from lab.process import LabError, read_pid, require, run, write_if_changed
from runner_api.errors import ConfigurationError
from runner_api.pki.authority import crl_pem, new_ca
from runner_api.pki.keys import generate, load_private_key, private_pem
from runner_api.pki.policy import Identity, Template, build
from runner_api.secrets.credentials import FileCredentialSource

NETNS = "fixline-vpn"
SERVER_NAME = "vpn.lab.test"
CONFIG_DIR = Path("/etc/openvpn/server/fixline-lab")
RUN_DIR = Path("/run/fixline-lab-openvpn")
MANAGEMENT = RUN_DIR / "mgmt.sock"
PIDFILE = RUN_DIR / "server.pid"
OPENVPN = Path("/usr/sbin/openvpn")
IP = Path("/usr/sbin/ip")
PORT = 1194

_CONFIG = f"""# Fixline lab VPN server (lab/vpn.py); clients are managed by vpn_access.
port {PORT}
proto udp
dev tun
topology subnet
server 10.8.0.0 255.255.255.0
ca {CONFIG_DIR}/ca.crt
cert {CONFIG_DIR}/server.crt
key {CONFIG_DIR}/server.key
dh none
# Re-read at every new connection: a revoke needs no restart.
crl-verify {CONFIG_DIR}/crl.pem
client-config-dir {CONFIG_DIR}/ccd
# Only clients with a config in ccd/ get in: removing it locks the client out too.
ccd-exclusive
remote-cert-tls client
tls-version-min 1.2
data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305
keepalive 5 30
persist-key
persist-tun
management {MANAGEMENT} unix
writepid {PIDFILE}
status {RUN_DIR}/status.log 1
status-version 2
verb 3
"""


def ensure_ca(kept: FileCredentialSource, customer: str) -> tuple[str, str]:
    """The lab customer's CA (PEM cert, PEM key), made once in the lab's folder `kept`."""
    try:
        fields = kept.ca_fields(customer)
    except ConfigurationError:
        cert, key = new_ca(customer)
        kept.store_ca(
            customer, cert.public_bytes(serialization.Encoding.PEM).decode(), private_pem(key)
        )
        fields = kept.ca_fields(customer)
    return fields["certificate"], fields["private_key"]


class VpnLab:
    """Start and stop the lab VPN server."""

    def __init__(self, credentials: FileCredentialSource, customer: str, kept_dir: Path) -> None:
        self._credentials = credentials
        self._customer = customer
        # The lab's own copy of the CA: Fixline imports the credentials folder and removes
        # it, so the lab keeps the one it serves the VPN with and hands it over each start.
        self._kept = FileCredentialSource(kept_dir)

    def ca(self) -> tuple[str, str]:
        """The lab customer's CA (PEM cert, PEM key), made on first use."""
        return ensure_ca(self._kept, self._customer)

    def up(self) -> None:
        require(OPENVPN, "openvpn")
        ca_pem, ca_key_pem = self.ca()
        # As old as the lab's copy: a CA an admin set in the store since stays newer.
        self._kept.hand_over(self._credentials.root)
        self._write_config(ca_pem, ca_key_pem)
        if self.pid() is not None:
            return
        RUN_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        if NETNS not in run([str(IP), "netns", "list"]):
            run([str(IP), "netns", "add", NETNS])
            run([str(IP), "-n", NETNS, "link", "set", "lo", "up"])
        config, log = str(CONFIG_DIR / "server.conf"), str(RUN_DIR / "server.log")
        openvpn = [str(OPENVPN), "--config", config, "--daemon", "fixline-lab-vpn", "--log", log]
        run([str(IP), "netns", "exec", NETNS, *openvpn])
        deadline = time.monotonic() + 5
        while not MANAGEMENT.exists():
            if time.monotonic() > deadline:
                raise LabError(f"openvpn did not start: see {RUN_DIR / 'server.log'}")
            time.sleep(0.05)

    def _write_config(self, ca_pem: str, ca_key_pem: str) -> None:
        (CONFIG_DIR / "ccd").mkdir(mode=0o755, parents=True, exist_ok=True)
        ca_changed = write_if_changed(CONFIG_DIR / "ca.crt", ca_pem, 0o644)
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
        ca_key = load_private_key(ca_key_pem.encode())
        if ca_changed or not (CONFIG_DIR / "server.key").exists():
            key = generate()
            identity = Identity(SERVER_NAME, dns_names=(SERVER_NAME,))
            cert = build(identity, Template.SERVER, key.public_key(), ca, 397).sign(
                ca_key, hashes.SHA256()
            )
            write_if_changed(CONFIG_DIR / "server.key", private_pem(key), 0o600)
            write_if_changed(
                CONFIG_DIR / "server.crt",
                cert.public_bytes(serialization.Encoding.PEM).decode(),
                0o644,
            )
        if ca_changed or not (CONFIG_DIR / "crl.pem").exists():
            write_if_changed(CONFIG_DIR / "crl.pem", crl_pem(ca, ca_key, ()), 0o644)
        write_if_changed(CONFIG_DIR / "server.conf", _CONFIG, 0o644)

    def pid(self) -> int | None:
        return read_pid(PIDFILE)

    def down(self) -> None:
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while self.pid() is not None and time.monotonic() < deadline:
                time.sleep(0.05)
        if IP.exists() and NETNS in run([str(IP), "netns", "list"]):
            run([str(IP), "netns", "del", NETNS])
