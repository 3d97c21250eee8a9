"""A real `fixline serve` process (uvicorn, SQLite, local pool) for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tests.plugins.lab import LabHandle

TOKEN = "server-token-0123456789abcdef"
FIXLINE = str(Path(sys.executable).parent / "fixline")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving_in_thread(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread of this process: a real
    HTTP server (for a browser or a fuzzer) without a process's start-up."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="served-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def fixline_env(data_dir: Path, lab: LabHandle, **extra: str) -> dict[str, str]:
    """Environment for a fixline process on its own data dir, logging in to the lab: the
    lab's credentials handed over into the data dir's import folder (the default place)."""
    return {
        **os.environ,
        "FIXLINE_DATA_DIR": str(data_dir),
        "FIXLINE_CREDENTIALS_DIR": str(lab.hand_over(data_dir / "credentials")),
        "FIXLINE_PROJECT_DIR": str(lab.project_dir),
        "FIXLINE_BOOTSTRAP_TOKEN": TOKEN,
        **extra,
    }


@dataclass
class Server:
    """One `fixline serve` process; start() again after stop() to restart it."""

    data_dir: Path
    lab: LabHandle
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    # More FIXLINE_* settings, read at each start().
    extra_env: dict[str, str] = field(default_factory=dict)
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=60,
        )

    def start(self) -> None:
        env = fixline_env(self.data_dir, self.lab, FIXLINE_PORT=str(self.port), **self.extra_env)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([FIXLINE, "serve"], env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"fixline serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                if self.client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        pytest.fail("fixline serve did not answer /healthz within 30 s")

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)

    def wait_for(self, run_id: str, statuses: set[str], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run: dict[str, Any] = self.client.get(f"/runs/{run_id}").json()
            if run["status"] in statuses:
                return run
            time.sleep(0.02)
        raise AssertionError(f"run {run_id} never reached {statuses}")


@pytest.fixture
def server(tmp_path: Path, lab: LabHandle) -> Iterator[Server]:
    """A started server on a fresh data dir; stopped at the end."""
    instance = Server(data_dir=tmp_path / "data", lab=lab, log_path=tmp_path / "service.log")
    instance.start()
    yield instance
    instance.stop()
    instance.client.close()
