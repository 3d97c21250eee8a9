"""A warm Ansible: runs skip ansible-playbook's start-up imports.

One warm server process (warm_server.py) per WarmAnsible has imported what does not depend
on configuration and forks one ansible-playbook per run; ansible-runner starts the tiny
warm_client.py instead of ansible-playbook, which hands its terminal and environment over.
Each child reads its own run's config, folder and SSH control path (nothing is shared
between runs but those imports). When the server is not ready or has died, a run starts a
cold ansible-playbook as before, and the server is started again.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from runner_api.playbooks.warm_client import SOCKET_ENV
from runner_api.playbooks.warm_server import SLOT_BYTES, SLOT_ENV
from runner_api.playbooks.workspace import SOCKET_ROOT, remove_tree

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
# The server's imports take about half a second; a run waits this long for them at most.
_READY_WAIT_S = 10.0
_POLL_S = 0.01


class WarmAnsible:
    """The warm server of one process (the API's or a site worker's), started on demand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: Path | None = None

    @property
    def pid(self) -> int | None:
        """The server's pid while it runs."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def _socket(self) -> Path | None:
        return self._folder / "server" if self._folder is not None else None

    def start(self) -> bool:
        """Start the server unless it runs; returns at once (it gets ready by itself).
        True: it was running (or starting) already."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return True
            self._stop_locked()
            self._folder = Path(tempfile.mkdtemp(prefix="fxw-", dir=SOCKET_ROOT))
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "LANG": os.environ.get("LANG", "C.UTF-8"),
                # Overwritten in each child with its run's marker (warm_server._take_slot).
                SLOT_ENV: "x" * SLOT_BYTES,
            }
            # stdin: a pipe only we hold, so the server exits when this process is gone.
            self._process = subprocess.Popen(
                [sys.executable, "-I", str(_HERE / "warm_server.py"), str(self._socket)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd="/",
                start_new_session=True,
            )
            return False

    def ready(self) -> bool:
        """Whether a run can go warm now; False: run cold. Waits (bounded) for a server
        that is starting; one that was not running is started for the runs after this one,
        so a process that never runs a playbook (a CLI command) never starts one."""
        if not self.start():
            return False
        deadline = time.monotonic() + _READY_WAIT_S
        while time.monotonic() < deadline:
            with self._lock:
                process, socket_path = self._process, self._socket
            if process is None or process.poll() is not None or socket_path is None:
                log.warning("the warm Ansible server ended; runs start ansible-playbook cold")
                return False
            if socket_path.exists():
                return True
            time.sleep(_POLL_S)
        log.warning("the warm Ansible server was not ready in time; this run starts cold")
        return False

    def command(self, playbook_args: list[str]) -> tuple[str, list[str], dict[str, str]]:
        """ansible-runner's binary, the arguments before the playbook's, and the env."""
        client = ["-I", "-S", str(_HERE / "warm_client.py")]
        return sys.executable, client + playbook_args, {SOCKET_ENV: str(self._socket)}

    def close(self) -> None:
        """Stop the server (runs it forked go on) and remove its folder."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None
        if self._folder is not None:
            remove_tree(self._folder)
            self._folder = None
