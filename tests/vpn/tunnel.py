"""A VPN client on this machine, inside its own network namespace, wired to the lab's VPN
server namespace by a veth pair; the machine's own routing is never touched.

    netns fixline-vpn         fxv-srv 10.99.0.1/30   (the lab's server)
      <-> veth <->
    netns fixline-vpn-client  fxv-cli 10.99.0.2/30   (openvpn client, tun from the profile)
The client resolves the profile's server name through /etc/netns/<client>/hosts, which
`ip netns exec` mounts over /etc/hosts, so the profile is used exactly as handed out.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lab import vpn
from lab.process import run

CLIENT_NETNS = "fixline-vpn-client"
SERVER_LINK, CLIENT_LINK = "fxv-srv", "fxv-cli"
SERVER_IP, CLIENT_IP = "10.99.0.1", "10.99.0.2"
# The server's own address inside the tunnel (`server 10.8.0.0 255.255.255.0`).
TUNNEL_SERVER_IP = "10.8.0.1"
ETC = Path("/etc/netns") / CLIENT_NETNS
IP = str(vpn.IP)


def _in_client(*args: str) -> list[str]:
    return [IP, "netns", "exec", CLIENT_NETNS, *args]


@contextmanager
def client_netns() -> Iterator[None]:
    """The client namespace and its link to the server namespace, removed afterwards."""
    made_etc_netns = not ETC.parent.exists()
    run([IP, "netns", "add", CLIENT_NETNS])
    try:
        run([IP, "link", "add", SERVER_LINK, "type", "veth", "peer", "name", CLIENT_LINK])
        run([IP, "link", "set", SERVER_LINK, "netns", vpn.NETNS])
        run([IP, "link", "set", CLIENT_LINK, "netns", CLIENT_NETNS])
        for netns, link, address in (
            (vpn.NETNS, SERVER_LINK, SERVER_IP),
            (CLIENT_NETNS, CLIENT_LINK, CLIENT_IP),
        ):
            run([IP, "-n", netns, "addr", "add", f"{address}/30", "dev", link])
            run([IP, "-n", netns, "link", "set", link, "up"])
        run([IP, "-n", CLIENT_NETNS, "link", "set", "lo", "up"])
        ETC.mkdir(parents=True, exist_ok=True)
        (ETC / "hosts").write_text(f"127.0.0.1 localhost\n{SERVER_IP} {vpn.SERVER_NAME}\n")
        yield
    finally:
        # Deleting the namespace deletes the veth pair, both ends, and the client's tun.
        run([IP, "netns", "del", CLIENT_NETNS])
        shutil.rmtree(ETC, ignore_errors=True)
        if made_etc_netns:
            ETC.parent.rmdir()


class Client:
    """One openvpn client process in the client namespace, started from a profile."""

    def __init__(self, profile: str) -> None:
        # The profile holds the private key: it stays in RAM, readable by root only.
        self._folder = Path(tempfile.mkdtemp(prefix="fxvc-", dir="/dev/shm"))
        self.log = self._folder / "client.log"
        config = self._folder / "profile.ovpn"
        config.touch(mode=0o600)
        config.write_text(profile)
        # `ip netns exec` execs openvpn: the Popen pid is openvpn's own.
        self.process = subprocess.Popen(
            _in_client("openvpn", "--config", str(config), "--log", str(self.log), "--verb", "3"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(self, line: str, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if line in self.text():
                return True
            if self.process.poll() is not None:
                return line in self.text()
            time.sleep(0.05)
        return False

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        shutil.rmtree(self._folder, ignore_errors=True)


def reaches_server_through_tunnel() -> bool:
    """A TCP connect from the client namespace to the server's tunnel address is answered.

    Nothing listens there: a refusal (RST) proves packets went through the tunnel and back.
    """
    probe = (
        "import socket, sys\n"
        "try:\n"
        f"    socket.create_connection(({TUNNEL_SERVER_IP!r}, 9), 3)\n"
        "except ConnectionRefusedError:\n"
        "    sys.exit(0)\n"
        "except OSError:\n"
        "    sys.exit(1)\n"
    )
    done = subprocess.run(_in_client("python3", "-c", probe), capture_output=True, timeout=10)
    return done.returncode == 0


def connected_clients() -> list[str]:
    """Common names of the sessions the server has up (management `status 2`)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(str(vpn.MANAGEMENT))
        reader = conn.makefile("rb")
        conn.sendall(b"status 2\n")
        names = []
        for raw in reader:
            line = raw.decode(errors="replace").rstrip("\r\n")
            if line == "END":
                break
            fields = line.split(",")
            if fields[0] == "CLIENT_LIST" and len(fields) > 1:
                names.append(fields[1])
        conn.sendall(b"quit\n")
    return names
