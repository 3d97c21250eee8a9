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

from pathlib import Path

from lab import lab_service
from lab.monitor import PLUGINS, LabMonitor
from lab.process import write_if_changed

NAGIOS = Path("/usr/sbin/nagios4")
PACKAGES = "nagios4-core monitoring-plugins-basic"
SNIPPET = Path(__file__).with_name("nagios-fixline.cfg")
HOST = "lab-host"
SERVICE = "HTTP"

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


class LabNagios(LabMonitor):
    """Nagios 4 in folder, checking the lab host and calling `fixline` as event handler."""

    label = "Nagios"

    def __init__(self, folder: Path, fixline: Path, extra_objects: str = "") -> None:
        # Nagios in the foreground writes no pidfile of its own: launch() writes nagios.pid.
        super().__init__(
            folder,
            fixline,
            config="nagios.cfg",
            pidfile="nagios.pid",
            log="nagios.log",
            command="nagios.cmd",
        )
        self.extra_objects = extra_objects

    def configure(self, monitoring_url: str, secret: str) -> None:
        """Write the config and the handler's settings file (Fixline's URL and secret)."""
        self.prepare(NAGIOS, PACKAGES, monitoring_url, secret)
        d = self.folder
        (d / "checkresults").mkdir(mode=0o700, exist_ok=True)
        write_if_changed(self.config_path, _MAIN.format(d=d), 0o600)
        write_if_changed(d / "fixline.cfg", SNIPPET.read_text(), 0o600)
        lab = _LAB_OBJECTS.format(host=HOST, service=SERVICE, port=lab_service.PORT)
        write_if_changed(d / "lab.cfg", lab + self.extra_objects, 0o600)
        resource = f"$USER1$={PLUGINS}\n$USER2$={self.fixline}\n$USER3$={self.env_file}\n"
        write_if_changed(d / "resource.cfg", resource, 0o600)

    def start(self, env: dict[str, str] | None = None) -> None:
        """Check the config, start Nagios and wait for its first status file."""
        config = str(self.config_path)
        self.launch([str(NAGIOS), "-v", config], [str(NAGIOS), config], env)

    def describe(self) -> str:
        """One line for the demo output."""
        return (
            f"Nagios 4: checks {SERVICE} on {HOST} every second (state in {self.status_path}, "
            f"log {self.log_path}); event handler: fixline nagios-event"
        )
