"""A throwaway sshd on the loopback interface, with its own keys, config and pidfile."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from pydantic import SecretStr

from lab.process import LabError, pid_running, port_in_use, require, run, write_if_changed

SSHD = Path("/usr/sbin/sshd")
SSH_KEYGEN = Path("/usr/bin/ssh-keygen")
SSH_KEYSCAN = Path("/usr/bin/ssh-keyscan")
# sshd's privilege separation directory; normally made by the system unit.
PRIVSEP_DIR = Path("/run/sshd")
READY_TIMEOUT_S = 10.0


class LoopbackSshd:
    """sshd on 127.0.0.1:<port> letting root in with the lab's client key only."""

    host = "127.0.0.1"

    def __init__(self, folder: Path, port: int = 2222) -> None:
        # Every path is absolute: sshd re-execs after chdir("/") and would lose relative ones.
        self.folder = folder.absolute()
        self.port = port
        self.config_path = self.folder / "sshd_config"
        self.pidfile = self.folder / "sshd.pid"
        self.log_path = self.folder / "sshd.log"
        self.host_key_path = self.folder / "hostkey_ed25519"
        self.client_key_path = self.folder / "client_ed25519"
        self.known_hosts_path = self.folder / "known_hosts"

    def start(self) -> None:
        """Start sshd unless this folder's sshd already runs and answers."""
        require(SSHD, "openssh-server")
        require(SSH_KEYGEN, "openssh-client")
        self._prepare()
        if self.pid() is not None:
            if self._answers():
                return
            self.stop()
        if port_in_use(self.host, self.port):
            raise LabError(
                f"port {self.port} on {self.host} is already in use by another program, so "
                f"the lab sshd cannot listen there: find it with `ss -ltnp 'sport = :{self.port}'`"
                " and stop it, or give the lab another ssh port"
            )
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        run([str(SSHD), "-t", "-f", str(self.config_path)])
        run([str(SSHD), "-f", str(self.config_path), "-E", str(self.log_path)])
        self._wait_ready()

    def stop(self) -> None:
        """Stop the sshd of this folder's pidfile (no other process is touched)."""
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while self.pid() == pid and time.monotonic() < deadline:
            time.sleep(0.02)
        self.pidfile.unlink(missing_ok=True)

    def pid(self) -> int | None:
        """The pid of this folder's sshd when it is alive (only an sshd run with our config
        is ours; sshd rewrites its title to "sshd: <command line> [listener] ...")."""
        return pid_running(self.pidfile, f"-f {self.config_path} ".encode())

    def known_hosts(self) -> str:
        """The pinned known_hosts line of this sshd's host key."""
        return self.known_hosts_path.read_text()

    def private_key(self) -> SecretStr:
        """The client key that logs in as root."""
        return SecretStr(self.client_key_path.read_text())

    def _prepare(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        for key in (self.host_key_path, self.client_key_path):
            if not key.exists():
                run(
                    [
                        str(SSH_KEYGEN),
                        "-q",
                        "-t",
                        "ed25519",
                        "-N",
                        "",
                        "-C",
                        "fixline-lab",
                        "-f",
                        str(key),
                    ]
                )
        client_pub = self.client_key_path.with_suffix(".pub").read_text()
        write_if_changed(self.folder / "authorized_keys", client_pub, 0o600)
        host_pub = self.host_key_path.with_suffix(".pub").read_text().split()
        pinned = f"[{self.host}]:{self.port} {host_pub[0]} {host_pub[1]}\n"
        write_if_changed(self.known_hosts_path, pinned, 0o600)
        write_if_changed(self.config_path, self._config(), 0o600)

    def _config(self) -> str:
        # StrictModes no: the lab folder may sit under world-writable /tmp, which StrictModes
        # rejects for authorized_keys; UsePAM no: no PAM session for a throwaway daemon.
        return "\n".join(
            [
                f"Port {self.port}",
                f"ListenAddress {self.host}",
                f"HostKey {self.host_key_path}",
                f"PidFile {self.pidfile}",
                f"AuthorizedKeysFile {self.folder / 'authorized_keys'}",
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "UsePAM no",
                "StrictModes no",
                "AllowUsers root",
                "Subsystem sftp /usr/lib/openssh/sftp-server",
                "LogLevel VERBOSE",
                "",
            ]
        )

    def _answers(self) -> bool:
        """Whether our host key is served on the port (not some other sshd's)."""
        try:
            scanned = run(
                [str(SSH_KEYSCAN), "-T", "2", "-p", str(self.port), "-t", "ed25519", self.host]
            )
        except LabError:
            return False
        expected = self.known_hosts().split()[1:3]
        return any(line.split()[1:3] == expected for line in scanned.splitlines())

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._answers():
                return
            time.sleep(0.05)
        raise LabError(
            f"the lab sshd did not answer on {self.host}:{self.port} within "
            f"{READY_TIMEOUT_S:.0f} s; see {self.log_path}"
        )
