"""A side process of one run (its ssh-agent, its early SSH master): started in a session
of its own with no terminal, killed and reaped by its pid when the run ends."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence


class RunChild:
    """One foreground child process; stop() kills it if it still runs and reaps it."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self._argv = list(argv)
        self._env = dict(env)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            self._argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self._env,
            start_new_session=True,
        )

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._process = None
