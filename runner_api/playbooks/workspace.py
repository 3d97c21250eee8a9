"""A run's private folders: its private_data_dir and a short socket folder, both removed after.

work_dir/<run_id>/            private_data_dir (0700)
    project/                  the vetted playbook, its plugins and roles, staged and verified;
                              the executor's shell plugin in playbooks/shell_plugins/
    inventory/                the customer's hosts.yml, group_vars/, host_vars/
    known_hosts               pinned host keys (StrictHostKeyChecking=yes)
    ansible.cfg, home/        this run's Ansible config and ANSIBLE_HOME
/dev/shm/fx-XXXXXXXX/         socket folder (0700) on tmpfs, so nothing in it reaches a disk:
    owner                     pid and start time of the creating process (orphan sweep)
    agent, cp/, secrets       ssh-agent, ControlPersist and secret server sockets
    tmp/                      Ansible's local_tmp: module files (task arguments, secrets
                              included) and copy's content files, written there for transfer
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from runner_api.errors import ExecutorError

# Run ids become folder names; anything else could escape work_dir.
_SAFE_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# Unix socket paths are limited to ~104 bytes, and ssh appends a 40-char hash plus a
# random suffix to control_path_dir, so the socket folder must stay short, whatever work_dir is.
# It must be RAM-backed too: Ansible writes every module's arguments into local_tmp before
# sending them (without pipelining), secrets included.
SOCKET_ROOT = Path("/dev/shm")
_INVENTORY_ENTRIES = ("hosts.yml", "hosts.yaml", "group_vars", "host_vars")
_OWNER_FILE = "owner"


@dataclass(frozen=True)
class Workspace:
    """Paths of one run's private folders."""

    private_data_dir: Path
    socket_dir: Path

    @property
    def project_dir(self) -> Path:
        return self.private_data_dir / "project"

    @property
    def inventory_dir(self) -> Path:
        return self.private_data_dir / "inventory"

    @property
    def known_hosts(self) -> Path:
        return self.private_data_dir / "known_hosts"

    @property
    def ansible_cfg(self) -> Path:
        return self.private_data_dir / "ansible.cfg"

    @property
    def ansible_home(self) -> Path:
        return self.private_data_dir / "home"

    @property
    def local_tmp(self) -> Path:
        return self.socket_dir / "tmp"

    @property
    def agent_socket(self) -> Path:
        return self.socket_dir / "agent"

    @property
    def control_path_dir(self) -> Path:
        return self.socket_dir / "cp"

    @property
    def master_title(self) -> str:
        """How ssh titles this run's ControlPersist masters (its process_tree marker)."""
        return f"ssh: {self.control_path_dir}/"

    @property
    def secrets_socket(self) -> Path:
        return self.socket_dir / "secrets"

    def add_shell_plugin(self, source: Path, name: str) -> None:
        """Put a shell plugin beside the staged playbooks, where Ansible finds it."""
        folder = self.project_dir / "playbooks" / "shell_plugins"
        folder.mkdir(mode=0o700, exist_ok=True)
        shutil.copyfile(source, folder / f"{name}.py")

    def copy_inventory(self, inventory_dir: Path) -> None:
        """Copy a customer's inventory file and its group_vars/host_vars."""
        copied = False
        for name in _INVENTORY_ENTRIES:
            source = inventory_dir / name
            if source.is_dir():
                shutil.copytree(source, self.inventory_dir / name)
            elif source.is_file():
                shutil.copyfile(source, self.inventory_dir / name)
                copied = copied or name.startswith("hosts")
        if not copied:
            raise ExecutorError(f"customer inventory has no hosts.yml: {inventory_dir}")

    def write_private(self, path: Path, text: str) -> None:
        """Write a file readable by the owner only."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)


def _require_ram(root: Path) -> None:
    """Refuse to run when the socket root is not tmpfs: secrets would reach a disk."""
    mounts = {p.mountpoint: p.fstype for p in psutil.disk_partitions(all=True)}
    if mounts.get(str(root)) != "tmpfs":
        raise ExecutorError(
            f"{root} is not a tmpfs mount: playbook runs need it for their sockets and "
            "temp files, which carry secrets"
        )


def _process_stamp(pid: int) -> str:
    """A pid with its start time: a recycled pid does not match it."""
    return f"{pid} {psutil.Process(pid).create_time()!r}"


def _sweep_orphans(root: Path) -> None:
    """Remove socket folders whose creating process is gone: a crash left them, maybe with
    temp files holding secrets. Folders of live processes or of other users stay."""
    for folder in root.glob("fx-*"):
        try:
            if folder.stat().st_uid != os.geteuid():
                continue
            stamp = (folder / _OWNER_FILE).read_text()
            pid = int(stamp.split()[0])
        except (OSError, ValueError, IndexError):
            continue  # being created right now, or not a run's folder
        try:
            alive = _process_stamp(pid) == stamp
        except psutil.NoSuchProcess:
            alive = False
        if not alive:
            remove_tree(folder)


def sweep_socket_folders() -> None:
    """At start-up: the socket folders a crashed process of this user left behind go."""
    _sweep_orphans(SOCKET_ROOT)


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700)
    path.chmod(0o700)  # mkdir's mode is filtered by the umask


def remove_tree(path: Path) -> None:
    """Remove a folder and everything in it; a missing folder is fine."""

    def _retry_writable(func: Callable[[str], object], name: str, _exc: object) -> None:
        # Ansible leaves read-only folders behind (e.g. in local_tmp): open up the parent, retry.
        os.chmod(os.path.dirname(name), stat.S_IRWXU)
        func(name)

    if path.is_symlink():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, onerror=_retry_writable)


@contextmanager
def workspace(work_dir: Path, run_id: str) -> Iterator[Workspace]:
    """Create a run's private folders and remove them afterwards, whatever happens inside."""
    if not _SAFE_RUN_ID.fullmatch(run_id):
        raise ExecutorError(f"run id not usable as a folder name: {run_id!r}")
    work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    pdd = work_dir / run_id
    # A folder left by a crashed attempt of the same run holds nothing we want to reuse.
    remove_tree(pdd)
    _require_ram(SOCKET_ROOT)
    _sweep_orphans(SOCKET_ROOT)
    socket_dir = Path(tempfile.mkdtemp(prefix="fx-", dir=SOCKET_ROOT))
    ws = Workspace(private_data_dir=pdd, socket_dir=socket_dir)
    try:
        ws.write_private(socket_dir / _OWNER_FILE, _process_stamp(os.getpid()))
        _private_dir(pdd)
        for folder in (ws.project_dir, ws.inventory_dir, ws.ansible_home):
            _private_dir(folder)
        for folder in (ws.control_path_dir, ws.local_tmp):  # in the socket folder, on tmpfs
            _private_dir(folder)
        yield ws
    finally:
        remove_tree(pdd)
        remove_tree(socket_dir)
