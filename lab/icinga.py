"""The lab's Icinga 2 (Debian `icinga2`), the twin of lab/nagios.py, run from a folder of its own.

Nothing of Icinga's under /etc or /var is read or written (the system's passwd, hosts and
os-release files aside): the config, constants, state, logs, pidfile and command pipe are in
the folder (the -D defines move Icinga's own directories there), and only the package's ITL
and plugin definitions are read from /usr/share. Icinga runs as root in a process group of
its own. The lab's HTTP check (`http` of fixline-lab-web) runs every
second with max_check_attempts 3, so the service goes SOFT 1, SOFT 2, HARD within about 3 s
of the web service stopping and Icinga calls the event command with its real macros.

The event command and the spool check are the text of icinga-fixline.conf, the snippet
docs/CONFIGURATION.md gives customers (a test holds the two equal). The service is `HTTP`
on `lab-host`, the names the demo's `nagios` source maps (lab/demo_wiring.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from lab import lab_service
from lab.monitor import PLUGINS, LabMonitor
from lab.nagios import HOST, SERVICE
from lab.process import write_if_changed

ICINGA = Path("/usr/sbin/icinga2")
PACKAGES = "icinga2 monitoring-plugins-basic"
SNIPPET = Path(__file__).with_name("icinga-fixline.conf")

_MAIN = """\
include "constants.conf"
include <itl>
include <plugins>
include "features.conf"
include "fixline.conf"
include "lab.conf"
"""
_CONSTANTS = """\
const PluginDir = {plugins}
const FixlineProgram = {fixline}
const FixlineEnvFile = {env_file}
"""
# The status file and the event log are Nagios's formats, so the lab reads Icinga's state as
# it reads Nagios's (lab/monitor.py): statusdata rewrites status.dat every second and needs
# no API user, certificate or port (the REST API needs all three); compatlog logs each event
# command call (the main log names none below debug level). Both, and the `command` pipe, are
# deprecated upstream and shipped in 2.13.
_FEATURES = """\
object CheckerComponent "checker" {{ }}
object FileLogger "main-log" {{
  severity = "information"
  path = {main_log}
}}
object StatusDataWriter "status" {{
  status_path = {status}
  objects_path = {objects}
  update_interval = 1s
}}
object CompatLogger "compatlog" {{
  log_dir = {compat}
  rotation_method = "DAILY"
}}
object ExternalCommandListener "command" {{
  command_path = {command}
}}
"""
# The lab host is this machine (UP by definition); its HTTP check is the demo web service.
_LAB_OBJECTS = """\
object Host "{host}" {{
  check_command = "dummy"
  vars.dummy_text = "loopback"
  address = "127.0.0.1"
  check_interval = 60s
}}

// One check a second; HARD at the third failure in a row.
template Service "lab-service" {{
  max_check_attempts = 3
  check_interval = 1s
  retry_interval = 1s
}}

object Service "{service}" {{
  import "lab-service"
  import "fixline-remediated"
  host_name = "{host}"
  check_command = "http"
  vars.http_address = "127.0.0.1"
  vars.http_port = {port}
  vars.http_timeout = 2
}}

// Every 5 s: each check starts a fixline process.
object Service "Fixline events" {{
  import "lab-service"
  import "fixline-spool"
  host_name = "{host}"
  check_interval = 5s
}}
"""


class LabIcinga(LabMonitor):
    """Icinga 2 in folder, checking the lab host and calling `fixline` as event command."""

    label = "Icinga 2"
    # Only the first process, the "umbrella": its worker heeds a SIGTERM from the umbrella
    # only, and a SIGTERM of ours still pending when the umbrella's arrives hides it (one
    # pending SIGTERM keeps the first sender), so a SIGTERM to the group may stop nothing.
    stop_leader_only = True

    def __init__(self, folder: Path, fixline: Path) -> None:
        # The pidfile is Icinga's own (its PidPath): the pid of the process start() started.
        super().__init__(
            folder,
            fixline,
            config="icinga2.conf",
            pidfile="icinga2.pid",
            log="compat/icinga.log",
            command="icinga2.cmd",
        )
        # State (icinga2.state, modified attributes): emptied at each start.
        self.data_dir = self.folder / "data"

    def configure(self, monitoring_url: str, secret: str) -> None:
        """Write the config and the handler's settings file (Fixline's URL and secret)."""
        self.prepare(ICINGA, PACKAGES, monitoring_url, secret)
        d = self.folder
        for sub in ("cache", "compat/archives"):
            (d / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        write_if_changed(self.config_path, _MAIN, 0o600)
        constants = _CONSTANTS.format(
            plugins=_string(PLUGINS), fixline=_string(self.fixline), env_file=_string(self.env_file)
        )
        write_if_changed(d / "constants.conf", constants, 0o600)
        features = _FEATURES.format(
            main_log=_string(d / "icinga2.log"),
            status=_string(self.status_path),
            objects=_string(d / "objects.cache"),
            compat=_string(self.log_path.parent),
            command=_string(self.command_file),
        )
        write_if_changed(d / "features.conf", features, 0o600)
        write_if_changed(d / "fixline.conf", SNIPPET.read_text(), 0o600)
        lab = _LAB_OBJECTS.format(host=HOST, service=SERVICE, port=lab_service.PORT)
        write_if_changed(d / "lab.conf", lab, 0o600)

    def start(self, env: dict[str, str] | None = None) -> None:
        """Validate the config (`icinga2 daemon -C`), start Icinga afresh and wait for its
        first status file."""
        if self.pid() is not None:
            self.stop()
        # Nothing retained from an earlier start (as Nagios's retain_state_information=0).
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(mode=0o700)
        args = ["-c", str(self.config_path), *self._defines()]
        self.launch([str(ICINGA), "daemon", "-C", *args], [str(ICINGA), "daemon", *args], env)

    def event_logs(self) -> list[Path]:
        """compatlog's archives (rotated at midnight), then its current log."""
        archives = sorted(
            (self.log_path.parent / "archives").glob("*.log"), key=lambda p: p.stat().st_mtime
        )
        return archives + super().event_logs()

    def _defines(self) -> list[str]:
        """Icinga's own directories, in the folder; root, as the lab's Nagios."""
        d = self.folder
        values = {
            "ConfigDir": d,
            "DataDir": self.data_dir,
            "LogDir": d,
            "CacheDir": d / "cache",
            "SpoolDir": d / "cache",
            "InitRunDir": d,
            "PidPath": self.pidfile,
            "ZonesDir": d / "zones.d",
            "RunAsUser": "root",
            "RunAsGroup": "root",
        }
        return [f"-DConfiguration.{name}={value}" for name, value in values.items()]


def _string(value: Path | str) -> str:
    """A quoted Icinga string (its escapes are JSON's for what a path may hold)."""
    return json.dumps(str(value))
