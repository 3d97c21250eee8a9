"""Each vetted playbook run for real against the lab host, as the executor runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab import lab_service
from runner_api.playbooks.config import RUN_MARKER_ENV, SECRETS_SOCKET_ENV
from runner_api.playbooks.secret_server import SecretServer
from tests.plugins.lab import LabHandle

RUN_ID = "run-test"
ALLOWLISTS = {"services": ["fixline-lab-web"], "packages": ["fixline-lab-hello"]}
PACKAGE = "fixline-lab-hello"


class Played:
    """One ansible-playbook run: exit code, output, and what the role published."""

    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.rc = done.returncode
        self.output = done.stdout + done.stderr

    @property
    def result(self) -> dict[str, Any]:
        """The role's `fixline_result`, from the default callback's CUSTOM STATS section."""
        for line in self.output.splitlines():
            # set_stats with per_host false is printed as one `RUN: <json>` line.
            if line.strip().startswith("RUN: "):
                stats: dict[str, Any] = json.loads(line.strip()[len("RUN: ") :])
                return dict(stats["fixline_result"])
        raise AssertionError(f"no fixline_result published:\n{self.output}")

    def task_names(self) -> list[str]:
        """Names of the tasks that ran (the role prefix dropped)."""
        return re.findall(r"^TASK \[(?:\w+ : )?(.*)\] \*", self.output, flags=re.MULTILINE)


@pytest.fixture
def play(lab: LabHandle, tmp_path: Path, control_path_dir: Path) -> Any:
    """Runs playbooks/<name>.yml on lab-host with the executor's extra vars; secrets are
    served to the `fixline_secret` lookup, as the executor does."""

    def run(
        name: str,
        params: dict[str, Any],
        *,
        check: bool = False,
        secrets: dict[str, str] | None = None,
    ) -> Played:
        extra = {
            "fixline_params": {"host": "lab-host", **params},
            "fixline_allowlists": ALLOWLISTS,
            "fixline_run_id": RUN_ID,
            "fixline_ticket_id": "T-1",
            "ansible_port": lab.ssh_port,
            "ansible_ssh_common_args": lab.ssh_common_args(),
        }
        env = lab.ansible_env(tmp_path, control_path_dir)
        socket_path = control_path_dir / "secrets"
        env |= {
            "ANSIBLE_SHOW_CUSTOM_STATS": "True",
            RUN_MARKER_ENV: RUN_ID,
            SECRETS_SOCKET_ENV: str(socket_path),
        }
        args = [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i", str(lab.inventory_path),
            "--limit", "lab-host",
            "--private-key", str(lab.private_key_path),
            "-e", json.dumps(extra),
            str(lab.project_dir / "playbooks" / f"{name}.yml"),
        ]  # fmt: skip
        if check:
            args.append("--check")
        with SecretServer(socket_path, RUN_ID, secrets or {}):
            done = subprocess.run(
                args, cwd=lab.project_dir, env=env, capture_output=True, text=True, timeout=120
            )
        return Played(done)

    return run


def _installed_version() -> str | None:
    done = subprocess.run(
        ["dpkg-query", "--show", "--showformat=${Status} ${Version}", PACKAGE],
        capture_output=True,
        text=True,
    )
    if not done.stdout.startswith("install ok installed"):
        return None
    return done.stdout.split()[-1]


@pytest.fixture
def web_running() -> None:
    """fixline-lab-web runs (another session's lab teardown may have stopped it)."""
    lab_service.start()


@pytest.fixture
def without_package(lab: LabHandle) -> Iterator[None]:
    """fixline-lab-hello is absent before and after the test, and apt knows our repo."""
    # Another session's lab may have pointed the apt source at its own folder meanwhile.
    lab.lab.apt_repo.publish()
    subprocess.run(["dpkg", "-r", PACKAGE], capture_output=True, check=False)
    yield
    subprocess.run(["dpkg", "-r", PACKAGE], capture_output=True, check=False)


def test_smoke_check_reports_the_host(play: Any) -> None:
    played = play("smoke_check", {})

    assert played.rc == 0, played.output
    assert played.result["summary"].startswith("lab-host reachable; Linux ")
    assert "of / used" in played.result["summary"]


def test_smoke_check_round_trips_a_secret_without_leaking_it(play: Any) -> None:
    secret = "s3cr3t-Fixline-7f1e2d"

    played = play("smoke_check", {}, secrets={"secret": secret})

    assert played.rc == 0, played.output
    assert "secret arrived intact" in played.result["summary"]
    assert secret not in played.output


@pytest.mark.usefixtures("web_running")
def test_service_restart_restarts_the_service(play: Any, lab: LabHandle) -> None:
    pid_before = lab_service.status()["pid"]

    played = play("service_restart", {"unit": "fixline-lab-web"})

    assert played.rc == 0, played.output
    pid_after = lab_service.status()["pid"]
    assert pid_after != pid_before
    assert played.result["before"]["pid"] == str(pid_before)
    assert played.result["after"] == {"active": "active", "pid": str(pid_after)}
    assert played.result["summary"].startswith("Restarted fixline-lab-web on lab-host")


@pytest.mark.usefixtures("web_running")
def test_service_restart_refuses_a_unit_not_allowlisted(play: Any, lab: LabHandle) -> None:
    pid_before = lab_service.status()["pid"]

    played = play("service_restart", {"unit": "cron"})

    assert played.rc != 0
    assert "Refused: service cron is not on this customer's allow-list" in played.output
    assert "Restart the service" not in played.task_names()
    assert lab_service.status()["pid"] == pid_before


@pytest.mark.usefixtures("web_running")
def test_service_restart_check_mode_changes_nothing(play: Any, lab: LabHandle) -> None:
    pid_before = lab_service.status()["pid"]

    played = play("service_restart", {"unit": "fixline-lab-web"}, check=True)

    assert played.rc == 0, played.output
    # The role's own reads, a second apart: the lab service is shared with other sessions.
    assert played.result["after"] == played.result["before"]
    assert played.result["before"]["pid"] == str(pid_before)
    assert played.result["summary"].startswith("Would restart fixline-lab-web")


@pytest.mark.usefixtures("without_package")
def test_software_install_installs_the_package(play: Any, lab: LabHandle) -> None:
    played = play("software_install", {"package": PACKAGE})

    assert played.rc == 0, played.output
    assert _installed_version() == "1.0"
    assert played.result["before"] == {"version": None}
    assert played.result["after"] == {"version": "1.0"}
    hello = subprocess.run([f"/usr/bin/{PACKAGE}"], capture_output=True, text=True, check=True)
    assert "Hello" in hello.stdout


@pytest.mark.usefixtures("without_package")
def test_software_install_check_mode_changes_nothing(play: Any, lab: LabHandle) -> None:
    played = play("software_install", {"package": PACKAGE}, check=True)

    assert played.rc == 0, played.output
    assert _installed_version() is None
    assert "would be installed" in played.result["summary"]


def test_software_install_refuses_a_package_not_allowlisted(play: Any, lab: LabHandle) -> None:
    played = play("software_install", {"package": "cowsay"})

    assert played.rc != 0
    assert "Refused: package cowsay is not on this customer's allow-list" in played.output
    assert "Install the package" not in played.task_names()
