"""The lab's monitoring: a real Nagios 4 (Debian `nagios4-core`) run from a folder of its own.

Nothing under /etc is read or written: the main config, resource file, objects, status,
log and external command file all live in the folder, and Nagios runs as root in the
foreground of its own process group. interval_length=1 makes every interval a second, so
the lab's HTTP check (`check_http` of fixline-lab-web) goes SOFT 1, SOFT 2, HARD 3 within
about 3 s of the service stopping and calls the event handler with the real macros.

The event handler and the spool check are the text of nagios-fixline.cfg, the snippet
docs/CONFIGURATION.md gives customers (a test holds the two equal).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from lab import lab_service
from lab.process import LabError, pid_running, require, run, write_if_changed
from runner_api.monitoring.commands import send_command

NAGIOS = Path("/usr/sbin/nagios4")
PLUGINS = Path("/usr/lib/nagios/plugins")
PACKAGES = "nagios4-core monitoring-plugins-basic"
SNIPPET = Path(__file__).with_name("nagios-fixline.cfg")
HOST = "lab-host"
SERVICE = "HTTP"
READY_TIMEOUT_S = 30.0

_MAIN = """\
log_file={d}/nagios.log
cfg_file={d}/fixline.cfg
cfg_file={d}/lab.cfg
resource_file={d}/resource.cfg
status_file={d}/status.dat
status_update_interval=1
object_cache_file={d}/objects.cache
precached_object_file={d}/objects.precache
temp_file={d}/nagios.tmp
temp_path={d}
lock_file={d}/nagios.lock
retain_state_information=0
state_retention_file={d}/retention.dat
check_result_path={d}/checkresults
command_file={d}/nagios.cmd
check_external_commands=1
query_socket={d}/nagios.qh
nagios_user=root
nagios_group=root
use_syslog=0
log_event_handlers=1
log_external_commands=1
enable_notifications=0
enable_event_handlers=1
enable_flap_detection=1
enable_environment_macros=0
interval_length=1
check_result_reaper_frequency=1
max_check_result_reaper_time=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
max_service_check_spread=1
max_host_check_spread=1
event_handler_timeout=30
illegal_macro_output_chars=`~$&|'"<>
"""
# The lab host is this machine (UP by definition); its HTTP check is the demo web service.
_LAB_OBJECTS = """\
define timeperiod {{
    timeperiod_name always
    alias           always
    sunday          00:00-24:00
    monday          00:00-24:00
    tuesday         00:00-24:00
    wednesday       00:00-24:00
    thursday        00:00-24:00
    friday          00:00-24:00
    saturday        00:00-24:00
}}
define contact {{
    contact_name                    nobody
    host_notifications_enabled      0
    service_notifications_enabled   0
    host_notification_period        always
    service_notification_period     always
    host_notification_options       n
    service_notification_options    n
    host_notification_commands      lab-up
    service_notification_commands   lab-up
}}
define command {{
    command_name    lab-up
    command_line    $USER1$/check_dummy 0 "loopback"
}}
define command {{
    command_name    lab-http
    command_line    $USER1$/check_http -H 127.0.0.1 -p $ARG1$ -t 2
}}
define host {{
    name                    lab-template
    check_command           lab-up
    max_check_attempts      1
    check_interval          60
    check_period            always
    contacts                nobody
    notification_period     always
    register                0
}}
# One check a second; HARD at the third failure in a row.
define service {{
    name                    lab-service
    max_check_attempts      3
    check_interval          1
    retry_interval          1
    check_period            always
    contacts                nobody
    notification_period     always
    register                0
}}
define host {{
    use         lab-template
    host_name   {host}
    address     127.0.0.1
}}
define service {{
    use                     fixline-remediated,lab-service
    host_name               {host}
    service_description     {service}
    check_command           lab-http!{port}
}}
# Every 5 s: each check starts a fixline process.
define service {{
    use             fixline-spool,lab-service
    host_name       {host}
    check_interval  5
}}
"""


class LabNagios:
    """Nagios 4 in folder, checking the lab host and calling `fixline` as event handler."""

    def __init__(self, folder: Path, fixline: Path, extra_objects: str = "") -> None:
        self.folder = folder.absolute()
        # The fixline program the handler runs ($USER2$) and its settings file ($USER3$).
        self.fixline = fixline
        self.env_file = self.folder / "fixline-event.env"
        self.spool_dir = self.folder / "spool"
        self.extra_objects = extra_objects
        # Written by start(): Nagios in the foreground writes no lock_file of its own.
        self.pidfile = self.folder / "nagios.pid"
        self.log_path = self.folder / "nagios.log"
        self.status_path = self.folder / "status.dat"
        self.command_file = self.folder / "nagios.cmd"
        self._process: subprocess.Popen[bytes] | None = None

    def configure(self, monitoring_url: str, secret: str) -> None:
        """Write the config and the handler's settings file (Fixline's URL and secret)."""
        require(NAGIOS, PACKAGES)
        require(PLUGINS / "check_http", PACKAGES)
        for sub in (self.folder, self.folder / "checkresults", self.spool_dir):
            sub.mkdir(mode=0o700, parents=True, exist_ok=True)
        d = self.folder
        write_if_changed(d / "nagios.cfg", _MAIN.format(d=d), 0o600)
        write_if_changed(d / "fixline.cfg", SNIPPET.read_text(), 0o600)
        lab = _LAB_OBJECTS.format(host=HOST, service=SERVICE, port=lab_service.PORT)
        write_if_changed(d / "lab.cfg", lab + self.extra_objects, 0o600)
        resource = f"$USER1$={PLUGINS}\n$USER2$={self.fixline}\n$USER3$={self.env_file}\n"
        write_if_changed(d / "resource.cfg", resource, 0o600)
        settings = {
            "FIXLINE_MONITORING_URL": monitoring_url,
            "FIXLINE_WEBHOOK_SECRETS": '{"nagios": ["' + secret + '"]}',
            "FIXLINE_MONITORING_SPOOL_DIR": str(self.spool_dir),
        }
        text = "".join(f"{name}='{value}'\n" for name, value in settings.items())
        write_if_changed(self.env_file, text, 0o600)

    def start(self, env: dict[str, str] | None = None) -> None:
        """Check the config, start Nagios and wait for its first status file."""
        config = str(self.folder / "nagios.cfg")
        run([str(NAGIOS), "-v", config])
        if self.pid() is not None:
            self.stop()
        self.status_path.unlink(missing_ok=True)
        with (self.folder / "nagios.out").open("ab") as out:
            self._process = subprocess.Popen(
                [str(NAGIOS), config],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        self.pidfile.write_text(f"{self._process.pid}\n")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.status_path.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-1500:]
                self.stop()
                raise LabError(f"Nagios did not start: {tail}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM to Nagios's process group (it and its check workers)."""
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
        if self._process is not None:
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(10)
            self._process = None
        elif pid is not None:
            # Started by another process (`fixline demo`): wait until it is gone.
            deadline = time.monotonic() + 10
            while self.pid() == pid and time.monotonic() < deadline:
                time.sleep(0.05)
        self.pidfile.unlink(missing_ok=True)

    def pid(self) -> int | None:
        """The pid of this folder's Nagios when it runs (a reused pid is not taken for it)."""
        return pid_running(self.pidfile, str(self.folder / "nagios.cfg").encode())

    def command(self, line: str) -> None:
        """Send one external command (e.g. `SCHEDULE_FORCED_SVC_CHECK;host;svc;<time>`)."""
        send_command(self.command_file, line)

    def service_status(self, host: str, service: str) -> dict[str, str]:
        """The service's block of status.dat (current_state, state_type, current_attempt...)."""
        for block in _blocks(self.status_path, "servicestatus"):
            if block.get("host_name") == host and block.get("service_description") == service:
                return block
        return {}

    def comments(self, host: str, service: str) -> list[str]:
        """The texts of the comments Nagios holds for the service."""
        return [
            block.get("comment_data", "")
            for block in _blocks(self.status_path, "servicecomment")
            if block.get("host_name") == host and block.get("service_description") == service
        ]

    def describe(self) -> str:
        """One line for the demo output."""
        return (
            f"Nagios 4: checks {SERVICE} on {HOST} every second (state in {self.status_path}, "
            f"log {self.log_path}); event handler: fixline nagios-event"
        )


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
