"""A real `fixline serve` process for the benches: own data dir, a fresh token, a free port."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served(
    data_dir: Path,
    credentials_dir: Path,
    timeout_s: float = 120,
    project_dir: Path = PROJECT,
) -> Iterator[httpx.Client]:
    """Start the service, wait for /healthz, yield a logged-in client; stop it afterwards.

    `project_dir` holds playbooks/, roles/, vetting.lock.json and inventories/ (default the
    checkout; a bench with customers of its own passes a copy)."""
    port, token = _free_port(), secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "FIXLINE_DATA_DIR": str(data_dir),
        "FIXLINE_CREDENTIALS_DIR": str(credentials_dir),
        "FIXLINE_PROJECT_DIR": str(project_dir),
        "FIXLINE_PORT": str(port),
        "FIXLINE_BOOTSTRAP_TOKEN": token,
        # A benchmark repeats one fix on one target hundreds of times: that is what rate
        # limits and the repeat-reset approval exist to stop, so they are off here.
        "FIXLINE_RATE_LIMIT_REQUESTER_PER_HOUR": "0",
        "FIXLINE_RATE_LIMIT_TARGET_PER_HOUR": "0",
        "FIXLINE_RATE_LIMIT_TARGET_REQUESTER_PER_HOUR": "0",
        "FIXLINE_RATE_LIMIT_ACTION_PER_MINUTE": "0",
        "FIXLINE_APPROVAL_REPEAT_RESET_S": "0",
    }
    server = subprocess.Popen(
        [str(BIN / "fixline"), "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout_s,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("fixline serve did not come up") from None
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        server.terminate()
        server.wait(20)
