"""A private ssh-agent per run: the key goes in over a pipe, so no key file exists at any time."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from runner_api.errors import ExecutorError
from runner_api.playbooks.child import RunChild

_START_TIMEOUT_S = 5.0
_ADD_TIMEOUT_S = 10.0


def _tool(name: str) -> str:
    path = shutil.which(name) or f"/usr/bin/{name}"
    if not os.access(path, os.X_OK):
        raise ExecutorError(f"{name} not found (install openssh-client)")
    return path


class SshAgent:
    """One ssh-agent bound to a socket in the run's socket folder."""

    def __init__(self, socket: Path, env: Mapping[str, str]) -> None:
        self._socket = socket
        self._env = dict(env)
        self._agent: RunChild | None = None

    def start(self, private_key: SecretStr, lifetime_s: int) -> None:
        """Start the agent and load the key; it forgets the key after lifetime_s anyway."""
        # -D: stay in the foreground as our child, so we can kill and reap it by pid.
        self._agent = RunChild([_tool("ssh-agent"), "-D", "-a", str(self._socket)], self._env)
        self._agent.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._socket.exists():
            if not self._agent.running() or time.monotonic() > deadline:
                raise ExecutorError("ssh-agent did not start")
            time.sleep(0.01)
        added = subprocess.run(
            [_tool("ssh-add"), "-q", "-t", str(max(1, lifetime_s)), "-"],
            input=private_key.get_secret_value().encode(),
            capture_output=True,
            env={**self._env, "SSH_AUTH_SOCK": str(self._socket)},
            timeout=_ADD_TIMEOUT_S,
            check=False,
        )
        if added.returncode != 0:
            # ssh-add's own message ("invalid format" ...); it never echoes the key.
            reason = added.stderr.decode(errors="replace").strip().splitlines()
            raise ExecutorError(f"ssh-add refused the key: {reason[-1] if reason else '?'}")

    def stop(self) -> None:
        """Kill the agent (the key dies with it) and reap it."""
        if self._agent is not None:
            self._agent.stop()
            self._agent = None
