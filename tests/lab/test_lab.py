"""The lab over real SSH: Ansible ping with a pinned host key, and lab idempotence."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import ansible_runner
import pytest

from lab import Lab, LabError, lab_service
from runner_api.secrets.credentials import FileCredentialSource
from tests.plugins.lab import LabHandle


def _ping(lab: LabHandle, tmp_path: Path, control_path_dir: Path, known_hosts: Path) -> Any:
    env = lab.ansible_env(tmp_path, control_path_dir)
    # ansible-runner starts `ansible` from PATH: the venv's, next to this interpreter.
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    private_data_dir = tmp_path / "runner"
    private_data_dir.mkdir()
    return ansible_runner.run(
        private_data_dir=str(private_data_dir),
        inventory=str(lab.inventory_path),
        host_pattern="lab-host",
        module="ping",
        cmdline=f"--private-key {lab.private_key_path}",
        extravars={
            "ansible_port": lab.ssh_port,
            "ansible_ssh_common_args": lab.ssh_common_args(known_hosts),
        },
        envvars=env,
        quiet=True,
    )


def _output(result: Any) -> str:
    # Read the artifact by path: the runner's own `stdout` property leaks an open file.
    return Path(result.config.artifact_dir, "stdout").read_text()


def test_ping_over_ssh_with_pinned_host_key(
    lab: LabHandle, tmp_path: Path, control_path_dir: Path
) -> None:
    result = _ping(lab, tmp_path, control_path_dir, lab.known_hosts_path)

    assert result.status == "successful", _output(result)
    assert result.stats["ok"] == {"lab-host": 1}


def test_ping_fails_with_a_wrong_host_key(
    lab: LabHandle, tmp_path: Path, control_path_dir: Path
) -> None:
    wrong = tmp_path / "known_hosts"
    # A syntactically valid pin of some other ed25519 key for the same host and port.
    other_key = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    wrong.write_text(f"[127.0.0.1]:{lab.ssh_port} ssh-ed25519 {other_key}\n")

    result = _ping(lab, tmp_path, control_path_dir, wrong)

    output = _output(result)
    assert result.status == "failed"
    assert "Host key verification failed" in output or "REMOTE HOST IDENTIFICATION" in output


def test_up_twice_is_idempotent(lab: LabHandle) -> None:
    sshd_pid = lab.lab.sshd.pid()
    web_pid = lab_service.status()["pid"]

    lab.lab.up()

    assert lab.lab.sshd.pid() == sshd_pid
    assert lab_service.status()["pid"] == web_pid
    credential = lab.credentials.ssh_credential("lab")
    assert credential.user == "root"
    assert credential.known_hosts == lab.known_hosts_path.read_text()
    assert "lab-host" in lab.lab.describe()


def test_up_refuses_a_port_taken_by_another_program(tmp_path: Path, lab_machine_lock: None) -> None:
    # Root and the machine's lab lock: the check runs where a lab would start.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        lab = Lab(tmp_path / "lab", FileCredentialSource(tmp_path / "credentials"), port)

        with pytest.raises(LabError, match=f"port {port} on 127.0.0.1 is already in use"):
            lab.up()

    assert lab.sshd.pid() is None
