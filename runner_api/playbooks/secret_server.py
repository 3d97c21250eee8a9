"""Hands a run's secrets to its playbook over a Unix socket, never through disk or argv.

ansible-runner writes extra vars to env/extravars in the run folder, on disk, and no secret
may reach a disk, so secret parameters are left out of them. The playbook asks
for each one with the `fixline_secret` lookup (playbooks/lookup_plugins/), which connects
to this server; the socket lives in the run's 0700 socket folder, removed after the run.

Wire format, one exchange per connection, one JSON line each way:
    -> {"name": "key"}
    <- {"value": "..."}  |  {"missing": true}  |  {"error": "..."}
Lookups template lazily, in forked workers, as often as a task refers to them, so the server
answers any number of reads until the run ends. Only processes of this run may ask: the
peer's uid must be ours and its environment must carry the run's marker.
"""

from __future__ import annotations

import json
import os
import socket
import socketserver
import struct
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import psutil

from runner_api.playbooks.config import RUN_MARKER_ENV

# Requests are a name; anything longer is not one of ours.
_MAX_REQUEST_BYTES = 1024
_IO_TIMEOUT_S = 10.0
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


def _peer_error(conn: socket.socket, run_id: str) -> str | None:
    """Why this peer may not read the run's secrets; None when it may."""
    pid, uid, _gid = _PEERCRED.unpack(
        conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    )
    if uid != os.geteuid():
        return "peer runs as another user"
    try:
        marker = psutil.Process(pid).environ().get(RUN_MARKER_ENV)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return "peer process not readable"
    if marker != run_id:
        # Another run of this service (same uid) that guessed the socket path.
        return "peer is not a process of this run"
    return None


class _Handler(socketserver.StreamRequestHandler):
    server: _Server
    timeout = _IO_TIMEOUT_S

    def handle(self) -> None:
        self.wfile.write(json.dumps(self._answer()).encode() + b"\n")

    def _answer(self) -> dict[str, object]:
        # Read the request even from a peer about to be refused: closing on unread data
        # would reset the connection, and the peer would never learn why.
        line = self.rfile.readline(_MAX_REQUEST_BYTES)
        refused = _peer_error(self.connection, self.server.run_id)
        if refused is not None:
            return {"error": f"refused: {refused}"}
        try:
            name = json.loads(line)["name"]
        except (ValueError, KeyError, TypeError):
            return {"error": "bad request"}
        if not isinstance(name, str):
            return {"error": "bad request"}
        value = self.server.secrets.get(name)
        return {"missing": True} if value is None else {"value": value}


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, run_id: str, secrets: Mapping[str, str]) -> None:
        self.run_id = run_id
        self.secrets = dict(secrets)
        super().__init__(str(path), _Handler)


class SecretServer:
    """Serves one run's secrets on `path` while in its `with` block; gone afterwards."""

    def __init__(self, path: Path, run_id: str, secrets: Mapping[str, str]) -> None:
        self.path = path
        self._run_id = run_id
        self._secrets = secrets
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SecretServer:
        # The folder is 0700 already; the socket itself is private too, from its creation.
        old_umask = os.umask(0o177)
        try:
            self._server = _Server(self.path, self._run_id, self._secrets)
        finally:
            os.umask(old_umask)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"secrets-{self._run_id}",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.secrets.clear()
        if self._thread is not None:
            self._thread.join()
        self.path.unlink(missing_ok=True)
