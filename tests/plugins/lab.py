"""The `lab` fixture: one real lab (sshd, demo service, apt repo) per test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab import Lab, LabError
from lab.process import machine_lock, port_in_use
from runner_api.secrets.credentials import FileCredentialSource

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_SSH_PORT = 2222
LAB_LOCK_WAIT_S = 1800


@dataclass(frozen=True)
class LabHandle:
    """What tests get from the `lab` fixture."""

    lab: Lab
    credentials: FileCredentialSource
    credentials_dir: Path
    project_dir: Path

    def hand_over(self, folder: Path) -> Path:
        """A copy of the lab's credentials folder for one process to import (an import
        removes what it imported, so each gets its own); written again at each call."""
        return self.credentials.hand_over(folder)

    @property
    def ssh_port(self) -> int:
        """The port the lab sshd listens on (2222 unless another session holds it)."""
        return self.lab.ssh_port

    @property
    def inventory_path(self) -> Path:
        """The lab customer's Ansible inventory (its ansible_port is 2222)."""
        return self.project_dir / "inventories" / "lab" / "hosts.yml"

    @property
    def private_key_path(self) -> Path:
        return self.lab.private_key_path

    @property
    def known_hosts_path(self) -> Path:
        return self.lab.known_hosts_path

    def ssh_common_args(self, known_hosts: Path | None = None) -> str:
        """ssh options pinning the lab host key (or another known_hosts file) strictly."""
        path = known_hosts or self.known_hosts_path
        return f"-o UserKnownHostsFile={path} -o StrictHostKeyChecking=yes"

    def ansible_env(self, work_dir: Path, control_path_dir: Path) -> dict[str, str]:
        """Environment for one Ansible run: its own temp dirs and ControlPersist sockets."""
        env = dict(os.environ)
        env.update(
            {
                "ANSIBLE_HOME": str(work_dir / "ansible-home"),
                "ANSIBLE_LOCAL_TEMP": str(work_dir / "local-tmp"),
                "ANSIBLE_REMOTE_TMP": str(work_dir / "remote-tmp"),
                # A master socket left by another run would skip host-key checking.
                "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control_path_dir),
                "ANSIBLE_HOST_KEY_CHECKING": "True",
                "ANSIBLE_ROLES_PATH": str(self.project_dir / "roles"),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_RETRY_FILES_ENABLED": "False",
            }
        )
        return env


@pytest.fixture
def control_path_dir() -> Iterator[Path]:
    """A fresh, short folder for ssh ControlPersist sockets (unix paths < 108 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="fxcp-"))
    yield folder
    # Stop the ControlPersist masters now rather than leave them idling for a minute.
    for socket_path in folder.iterdir():
        subprocess.run(
            ["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "lab-host"],
            capture_output=True,
            check=False,
            timeout=10,
        )
    shutil.rmtree(folder, ignore_errors=True)


def _ssh_port() -> int:
    """2222: the port inventories/lab/hosts.yml names, so runs of the executor reach the lab."""
    if port_in_use("127.0.0.1", DEFAULT_SSH_PORT):
        pytest.fail(
            f"port {DEFAULT_SSH_PORT} on 127.0.0.1 is taken, but the lab inventory names it: "
            "stop the other lab first (`fixline lab down`, or the other test session)"
        )
    return DEFAULT_SSH_PORT


@pytest.fixture(scope="session")
def lab_machine_lock() -> Iterator[None]:
    """One test session with lab parts (fixed ports, system service) per machine at a time.

    A second session waits here instead of failing on a taken port.
    """
    path = Path(tempfile.gettempdir()) / "fixline-test-lab.lock"
    try:
        with machine_lock(path, LAB_LOCK_WAIT_S, poll_s=1):
            yield
    except LabError as exc:
        pytest.fail(f"{exc.message}: another test session is using the lab")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, lab_machine_lock: None) -> Iterator[LabHandle]:
    """A running lab for the whole session; fails (never skips) when it cannot start."""
    root = tmp_path_factory.mktemp("lab")
    credentials_dir = root / "credentials"
    credentials = FileCredentialSource(credentials_dir)
    the_lab = Lab(root / "lab", credentials, ssh_port=_ssh_port())
    try:
        the_lab.up()
    except LabError as exc:
        the_lab.down()
        hint = "" if "make system-deps" in exc.message else " (is `make system-deps` done?)"
        pytest.fail(f"the lab did not start: {exc.message}{hint}")
    yield LabHandle(the_lab, credentials, credentials_dir, PROJECT_DIR)
    the_lab.down()
