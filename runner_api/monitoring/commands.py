"""Nagios's external command file (a FIFO Nagios reads): one command line per write.

Used for the feedback comment after a remediation (feedback.py) and by the lab. Opened
without blocking: with no Nagios reading, the open fails at once (ENXIO) instead of
hanging the caller until one does.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from pathlib import Path

from runner_api.errors import ExecutorError

PIPE_BUF = 4096  # Linux


class MonitoringCommandError(ExecutorError):
    """Nagios's command file cannot take the command (missing, not a FIFO, no reader)."""

    code = "monitoring_command"


def send_command(path: Path, line: str) -> None:
    """Write `[<now>] <line>` to the command file; MonitoringCommandError when it cannot."""
    data = f"[{int(time.time())}] {line}\n".encode()
    # One write of at most PIPE_BUF bytes is atomic: two writers' commands never interleave.
    if "\n" in line or len(data) > PIPE_BUF:
        raise MonitoringCommandError(f"an external command is one line of < {PIPE_BUF} bytes")
    try:
        if not stat.S_ISFIFO(path.stat().st_mode):
            raise MonitoringCommandError(f"{path} is not Nagios's command file (not a FIFO)")
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise MonitoringCommandError(f"{path} does not exist: is Nagios running?") from None
    except OSError as exc:
        reason = "no Nagios reads it" if exc.errno == errno.ENXIO else exc.strerror
        raise MonitoringCommandError(f"{path}: {reason}") from None
    try:
        os.write(fd, data)
    except OSError as exc:
        raise MonitoringCommandError(f"{path}: {exc.strerror}") from None
    finally:
        os.close(fd)
