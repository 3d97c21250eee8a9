"""What the lab's Nagios 4 and Icinga 2 share: a daemon run as root from a folder of its own,
in a process group of its own, calling `fixline nagios-event` with the handler's settings
file of the folder; and the Nagios formats Icinga 2 also speaks: the status file
(`servicestatus` and `servicecomment` blocks), the external command pipe, and the
`SERVICE EVENT HANDLER:` lines of the event log.
"""

from __future__ import annotations

import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path

from lab.process import (
    LabError,
    pid_running,
    require,
    run,
    start_group,
    stop_group,
    write_if_changed,
)
from runner_api.monitoring.commands import send_command

PLUGINS = Path("/usr/lib/nagios/plugins")
READY_TIMEOUT_S = 30.0


class LabMonitor(ABC):
    """The daemon's folder and process, its state and commands; subclasses write its config."""

    label = ""  # "Nagios", in messages
    # stop() sends SIGTERM to the daemon's whole process group, or only to its first process.
    stop_leader_only = False

    def __init__(
        self, folder: Path, fixline: Path, *, config: str, pidfile: str, log: str, command: str
    ) -> None:
        self.folder = folder.absolute()
        # The fixline program the handler runs, and its settings file.
        self.fixline = fixline
        self.env_file = self.folder / "fixline-event.env"
        self.spool_dir = self.folder / "spool"
        # The main config's path also marks the daemon's command line (pid()).
        self.config_path = self.folder / config
        self.pidfile = self.folder / pidfile
        # The log holding the daemon's `SERVICE EVENT HANDLER:` lines.
        self.log_path = self.folder / log
        self.status_path = self.folder / "status.dat"
        self.command_file = self.folder / command
        self._process: subprocess.Popen[bytes] | None = None

    @abstractmethod
    def configure(self, monitoring_url: str, secret: str) -> None:
        """Write the daemon's config and the handler's settings file (Fixline's URL, secret)."""

    @abstractmethod
    def start(self, env: dict[str, str] | None = None) -> None:
        """Check the config, start the daemon and wait until it has written its state."""

    def prepare(self, program: Path, packages: str, monitoring_url: str, secret: str) -> None:
        """The programs the daemon needs (else LabError naming the packages), its folder and
        the handler's settings file: Fixline's URL, the nagios secret, the spool."""
        require(program, packages)
        require(PLUGINS / "check_http", packages)
        for sub in (self.folder, self.spool_dir):
            sub.mkdir(mode=0o700, parents=True, exist_ok=True)
        settings = {
            "FIXLINE_MONITORING_URL": monitoring_url,
            "FIXLINE_WEBHOOK_SECRETS": '{"nagios": ["' + secret + '"]}',
            "FIXLINE_MONITORING_SPOOL_DIR": str(self.spool_dir),
        }
        text = "".join(f"{name}='{value}'\n" for name, value in settings.items())
        write_if_changed(self.env_file, text, 0o600)

    def launch(self, validate: list[str], daemon: list[str], env: dict[str, str] | None) -> None:
        """Check the config, start the daemon (stopping one left running) and wait for its
        first status file; LabError with the end of its output when it does not come."""
        run(validate)
        if self.pid() is not None:
            self.stop()
        self.status_path.unlink(missing_ok=True)
        out = self.folder / "daemon.out"
        self._process = start_group(daemon, out, env)
        # Nagios in the foreground writes no pidfile; Icinga writes the same pid to its own.
        self.pidfile.write_text(f"{self._process.pid}\n")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.status_path.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                logs = [path for path in (out, self.log_path) if path.exists()]
                tail = "\n".join(path.read_text(errors="replace")[-1000:] for path in logs)
                self.stop()
                raise LabError(f"{self.label} did not start: {tail}")
            time.sleep(0.05)

    def stop(self) -> None:
        """End the daemon's process group (it, its workers and running handlers)."""
        started = self._process.pid if self._process is not None else None
        group = self.pid() or started
        if group is not None:
            # A daemon started by another process (`fixline demo`) is waited for too.
            process = self._process if group == started else None
            stop_group(group, process, leader_only=self.stop_leader_only)
        self._process = None
        self.pidfile.unlink(missing_ok=True)

    def pid(self) -> int | None:
        """The pid of this folder's daemon when it runs (a reused pid is not taken for it)."""
        return pid_running(self.pidfile, str(self.config_path).encode())

    def command(self, line: str) -> None:
        """Send one external command (e.g. `SCHEDULE_FORCED_SVC_CHECK;host;svc;<time>`)."""
        send_command(self.command_file, line)

    def service_status(self, host: str, service: str) -> dict[str, str]:
        """The service's block of the status file (current_state, state_type, ...)."""
        for block in _blocks(self.status_path, "servicestatus"):
            if block.get("host_name") == host and block.get("service_description") == service:
                return block
        return {}

    def comments(self, host: str, service: str) -> list[str]:
        """The texts of the comments the daemon holds for the service."""
        return [
            block.get("comment_data", "")
            for block in _blocks(self.status_path, "servicecomment")
            if block.get("host_name") == host and block.get("service_description") == service
        ]

    def handler_calls(self, host: str, service: str) -> list[str]:
        """`CRITICAL;SOFT;1`, ...: the state, state type and attempt of each event handler
        call the daemon logged for the service, oldest first."""
        prefix = f"SERVICE EVENT HANDLER: {host};{service};"
        return [
            ";".join(line.split(prefix, 1)[1].split(";")[:3])
            for path in self.event_logs()
            for line in path.read_text(errors="replace").splitlines()
            if prefix in line
        ]

    def event_logs(self) -> list[Path]:
        """The logs holding the event handler calls, oldest first."""
        return [self.log_path] if self.log_path.exists() else []


def _blocks(path: Path, kind: str) -> list[dict[str, str]]:
    """The `kind { key=value ... }` blocks of a Nagios status file."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return []
    blocks: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line == f"{kind} {{":
            current = {}
        elif line == "}" and current is not None:
            blocks.append(current)
            current = None
        elif current is not None and "=" in line:
            key, _, value = line.partition("=")
            current[key] = value
    return blocks
