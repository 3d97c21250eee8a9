"""A run's folders: the socket folder (Ansible's temp files included) lives on tmpfs, and a
socket folder left by a crashed process is swept by the next run. No lab needed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

from runner_api.playbooks.workspace import workspace
from tests.playbooks.spy import on_tmpfs

SHM = Path("/dev/shm")


def _stamp(pid: int) -> str:
    return f"{pid} {psutil.Process(pid).create_time()!r}"


def _socket_folder(owner: str | None) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fx-", dir=SHM))
    (folder / "tmp").mkdir()
    (folder / "tmp" / "module-file").write_text("arguments, maybe a secret")
    if owner is not None:
        (folder / "owner").write_text(owner)
    return folder


def test_temp_files_and_sockets_live_in_ram_and_go_away(tmp_path: Path) -> None:
    with workspace(tmp_path / "work", "run-ws-1") as ws:
        for folder in (ws.socket_dir, ws.local_tmp, ws.control_path_dir):
            assert folder.is_dir() and (folder.stat().st_mode & 0o777) == 0o700
        assert on_tmpfs(str(ws.local_tmp)) and ws.secrets_socket.parent == ws.socket_dir
        assert not on_tmpfs(str(ws.private_data_dir))
        assert (ws.socket_dir / "owner").read_text() == _stamp(os.getpid())
    assert not ws.socket_dir.exists() and not ws.private_data_dir.exists()


def test_a_crashed_process_socket_folder_is_swept(tmp_path: Path) -> None:
    crashed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead_owner = _stamp(crashed.pid)
    crashed.kill()
    crashed.wait()
    orphan = _socket_folder(dead_owner)
    live = _socket_folder(_stamp(os.getpid()))
    unowned = _socket_folder(None)  # another process is creating it right now
    try:
        with workspace(tmp_path / "work", "run-ws-2"):
            assert not orphan.exists()
            assert live.exists() and unowned.exists()
    finally:
        for folder in (orphan, live, unowned):
            shutil.rmtree(folder, ignore_errors=True)
