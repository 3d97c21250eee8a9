"""The lab's demo service `fixline-lab-web`: an LSB init script around a tiny HTTP server."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from lab.process import LabError, require, run, write_if_changed

NAME = "fixline-lab-web"
PORT = 8089
INIT_SCRIPT = Path("/etc/init.d") / NAME
SERVER_SCRIPT = Path("/usr/local/lib/fixline-lab") / "web.py"
PIDFILE = Path("/run") / f"{NAME}.pid"
SERVICE = Path("/usr/sbin/service")

# Answers its own pid and start time, so a test can tell that a restart really happened.
_SERVER = '''"""fixline-lab-web: a harmless demo service of the Fixline lab."""
import http.server
import json
import os
import sys
import time

STARTED = time.time()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"service": "fixline-lab-web", "pid": os.getpid(),
                           "started": STARTED}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


def init_script(name: str, script: Path, pidfile: Path, port: int, extra_args: str = "") -> str:
    """An LSB init script running `python3 SCRIPT PORT EXTRA_ARGS` in the background."""
    return f"""#!/bin/sh
### BEGIN INIT INFO
# Provides:          {name}
# Required-Start:    $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Fixline lab demo service {name}
### END INIT INFO
NAME={name}
DAEMON=/usr/bin/python3
SCRIPT={script}
PIDFILE={pidfile}
PORT={port}

. /lib/lsb/init-functions

wait_listening() {{
    # start returns only once the port answers, so callers can use the service at once.
    "$DAEMON" -c 'import socket, sys, time
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)' "$PORT"
}}

do_start() {{
    start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$PIDFILE" \\
        --exec "$DAEMON" -- "$SCRIPT" "$PORT" {extra_args}
    rc=$?
    # 1 means it already runs: starting a running service is a success.
    [ "$rc" -eq 1 ] && return 0
    [ "$rc" -eq 0 ] || return "$rc"
    wait_listening
}}

do_stop() {{
    start-stop-daemon --stop --quiet --retry=TERM/5/KILL/2 --pidfile "$PIDFILE" \\
        --exec "$DAEMON" --remove-pidfile
    rc=$?
    # 1 means it was not running: stopping a stopped service is a success.
    [ "$rc" -eq 1 ] && return 0
    return "$rc"
}}

case "$1" in
    start) log_daemon_msg "Starting $NAME" "$NAME"; do_start; log_end_msg $? ;;
    stop) log_daemon_msg "Stopping $NAME" "$NAME"; do_stop; log_end_msg $? ;;
    # A reload is a restart: the new certificate (or code) is in use once it returns.
    restart|force-reload|reload)
        log_daemon_msg "Restarting $NAME" "$NAME"; do_stop && do_start; log_end_msg $? ;;
    status) status_of_proc -p "$PIDFILE" "$DAEMON" "$NAME" && exit 0 || exit $? ;;
    *) echo "Usage: $0 {{start|stop|restart|reload|force-reload|status}}" >&2; exit 3 ;;
esac
exit 0
"""


_INIT = init_script(NAME, SERVER_SCRIPT, PIDFILE, PORT)


def install() -> None:
    """Install (or update) the init script and the server; idempotent."""
    require(SERVICE, "init-system-helpers")
    SERVER_SCRIPT.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    write_if_changed(SERVER_SCRIPT, _SERVER, 0o644)
    write_if_changed(INIT_SCRIPT, _INIT, 0o755)


def start() -> None:
    """Start the service unless it runs (the init script knows through its pidfile)."""
    run([str(SERVICE), NAME, "start"])


def stop() -> None:
    """Stop the service when its init script is installed."""
    if INIT_SCRIPT.exists():
        run([str(SERVICE), NAME, "stop"])


def status() -> dict[str, Any]:
    """What the running service answers: {"service", "pid", "started"}."""
    url = f"http://127.0.0.1:{PORT}/"
    deadline = time.monotonic() + 5
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except OSError as exc:
            if time.monotonic() > deadline:
                raise LabError(f"{NAME} does not answer on {url}: {exc}") from exc
            time.sleep(0.05)
