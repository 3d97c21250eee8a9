"""Nagios's external command file is a FIFO: written without blocking, refused clearly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner_api.monitoring.commands import MonitoringCommandError, send_command


def test_a_command_reaches_the_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "nagios.cmd"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        send_command(fifo, "ADD_SVC_COMMENT;lab-host;HTTP;1;Fixline;restarted")
        line = os.read(reader, 4096).decode()
    finally:
        os.close(reader)
    assert line.endswith("] ADD_SVC_COMMENT;lab-host;HTTP;1;Fixline;restarted\n")
    assert line.startswith("[")


def test_no_reader_fails_at_once_instead_of_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "nagios.cmd"
    os.mkfifo(fifo)
    with pytest.raises(MonitoringCommandError, match="no Nagios reads it"):
        send_command(fifo, "ADD_SVC_COMMENT;lab-host;HTTP;1;Fixline;x")


@pytest.mark.parametrize(
    ("setup", "match"),
    [("missing", "is Nagios running"), ("file", "not a FIFO"), ("newline", "one line")],
)
def test_what_is_not_a_command_file_or_a_command(tmp_path: Path, setup: str, match: str) -> None:
    path = tmp_path / "nagios.cmd"
    if setup == "file":
        path.write_text("")
    line = "A;b\nB" if setup == "newline" else "A;b"
    with pytest.raises(MonitoringCommandError, match=match):
        send_command(path, line)
