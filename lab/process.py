"""Small process helpers of the lab: commands whose failures become LabError."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from runner_api.errors import ConfigurationError

SYSTEM_DEPS_HINT = "run `make system-deps` as root"


class LabError(ConfigurationError):
    """The local lab cannot be set up or used."""

    code = "lab"


def run(args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command and return its stdout; LabError with its stderr when it fails."""
    try:
        done = subprocess.run(
            args, cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=120
        )
    except FileNotFoundError as exc:
        raise LabError(f"{args[0]} is not installed: {SYSTEM_DEPS_HINT}") from exc
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip()
        raise LabError(f"`{' '.join(args)}` failed (exit {exc.returncode}): {detail}") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"`{' '.join(args)}` did not finish within {exc.timeout} s") from exc
    return done.stdout


def require(path: Path, package: str) -> None:
    """LabError naming the Debian package when a needed program is missing."""
    if not path.exists():
        raise LabError(f"{package} is not installed ({path} is missing): {SYSTEM_DEPS_HINT}")


def pid_running(pidfile: Path, marker: bytes) -> int | None:
    """The pid in a pidfile when that process is alive and its command line (arguments
    joined by spaces) holds `marker`: a stale pidfile may name a reused pid."""
    pid = read_pid(pidfile)
    if pid is None:
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if marker in cmdline.replace(b"\0", b" ") else None


def start_group(
    args: list[str], out: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a daemon in the foreground of a session of its own (its pid is its group's id,
    so stop_group ends it with every process it forked), its output appended to out."""
    with out.open("ab") as handle:
        return subprocess.Popen(
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=handle,
            start_new_session=True,
        )


def stop_group(
    group: int,
    process: subprocess.Popen[bytes] | None = None,
    wait_s: float = 10,
    *,
    leader_only: bool = False,
) -> None:
    """SIGTERM to a process group (leader_only: to its leader, which stops the rest), then
    wait until none of it runs; SIGKILL to the whole group after wait_s.

    Waits for the group, not its leader: a daemon's leader may exit before the processes it
    forked are done. process, when this process started the leader, is reaped at the end."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            if sig == signal.SIGTERM and leader_only:
                os.kill(group, sig)
            else:
                os.killpg(group, sig)
        deadline = time.monotonic() + wait_s
        while _group_runs(group) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _group_runs(group):
            if process is not None:
                process.wait(wait_s)
            return
    raise LabError(f"process group {group} is still there {wait_s:.0f} s after SIGKILL")


def _group_runs(group: int) -> bool:
    """Whether a process of the group runs: zombies do not count (a leader whose parent
    has not reaped it yet is done all the same)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # After the command's closing parenthesis: state, ppid, pgrp, ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False


def read_pid(pidfile: Path) -> int | None:
    """The pid in a pidfile when that process is alive, else None."""
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on host:port (binding it fails)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR ignores sockets in TIME_WAIT: only a real listener counts as busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def write_if_changed(path: Path, text: str, mode: int) -> bool:
    """Write text to path with mode unless it is already there; True when written."""
    if path.exists() and path.read_text() == text:
        path.chmod(mode)
        return False
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    tmp.chmod(mode)
    # Atomic swap: a reader (sshd, service, apt) never sees a half-written file.
    tmp.replace(path)
    return True


@contextlib.contextmanager
def machine_lock(path: Path, wait_s: float, poll_s: float = 0.2) -> Iterator[None]:
    """Hold an exclusive lock file; wait up to wait_s for another holder, then LabError."""
    with path.open("w") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LabError(f"another process held {path} for {wait_s:.0f} s") from None
                time.sleep(poll_s)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
