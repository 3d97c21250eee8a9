"""The run's SSH master opened while ansible-playbook starts (early_master.py): the run's
tasks go over it, it ends with the run, and a host whose connection the inventory cannot
tell for sure gets none."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from runner_api.playbooks import PlaybookExecutor
from runner_api.playbooks.early_master import SshTarget, inventory_target
from runner_api.runs.status import RunStatus
from tests.playbooks.conftest import HostSide, Run, assert_no_trace, when_running
from tests.playbooks.test_stop import SLEEP_TASK


def test_the_tasks_run_over_the_master_opened_early(
    make_executor: Callable[..., PlaybookExecutor],
    make_run: Callable[..., Run],
    work_dir: Path,
) -> None:
    """With the early master, the task's SSH connection is the one Fixline opened (an ssh in
    the foreground, `-N -o ControlMaster=yes`); without it, Ansible's own (a detached
    ControlPersist master, titled "ssh: <control path> [mux]"). Either way it ends with the
    run."""
    seen: dict[bool, tuple[int, str]] = {}
    for early in (True, False):
        run = make_run("fx_sleep")

        def _look(host: HostSide, run: Run = run, early: bool = early) -> None:
            master = host.client()
            seen[early] = (master.pid, " ".join(master.cmdline()))
            run.ctx.cancel_requested.set()

        hosts = when_running(run, SLEEP_TASK, _look)
        outcome, _ = run.execute(make_executor(early_ssh=early))

        assert hosts, "the remote sleep never started, so nothing was proven"
        assert outcome.status is RunStatus.CANCELED, outcome
        assert_no_trace(run, outcome, work_dir)
        # Dead: gone, or a zombie of a parent that has not reaped it yet (a detached
        # ControlPersist master's parent is init).
        assert _gone(seen[early][0]), "the run's SSH master outlived it"
    early_master, ansible_master = seen[True][1], seen[False][1]
    assert early_master.startswith("ssh -N -o ControlMaster=yes"), early_master
    assert ansible_master.startswith("ssh: /dev/shm/fx-"), ansible_master
    assert ansible_master.rstrip().endswith("[mux]"), ansible_master


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_run_on_a_host_that_does_not_answer_fails_as_before(
    make_executor: Callable[..., PlaybookExecutor],
    make_run: Callable[..., Run],
    work_dir: Path,
) -> None:
    """lab-offline: the early master's connection is refused too; Ansible reports the host
    unreachable, and nothing of the run is left."""
    run = make_run("fx_echo")
    run.ctx.target = "lab-offline"
    run.ctx.params["host"] = "lab-offline"
    outcome, _ = run.execute(make_executor())
    assert outcome.status is RunStatus.FAILED, outcome
    assert "unreachable=1" in outcome.summary, outcome.summary
    assert_no_trace(run, outcome, work_dir)


def _inventory(folder: Path, hosts_yml: str, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hosts.yml").write_text(hosts_yml)
    for name, text in files.items():
        path = folder / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


FLAT = """\
all:
  hosts:
    web1:
      ansible_host: 10.0.0.5
      ansible_port: 2222
      ansible_user: ops
    web2: {}
"""
NESTED = """\
all:
  vars:
    ansible_user: deploy
  children:
    dmz:
      vars:
        ansible_port: 2200
      hosts:
        gw1:
          ansible_host: 192.0.2.1
"""


def test_the_target_is_read_from_the_host_entry(tmp_path: Path) -> None:
    folder = _inventory(tmp_path / "inv", FLAT)
    assert inventory_target(folder, "web1", "root") == SshTarget("10.0.0.5", 2222, "ops")
    # Nothing set: the inventory name, ssh's default port, the credential's user.
    assert inventory_target(folder, "web2", "root") == SshTarget("web2", None, "root")
    assert inventory_target(folder, "nowhere", "root") is None


def test_group_vars_apply_in_ansible_order(tmp_path: Path) -> None:
    folder = _inventory(tmp_path / "inv", NESTED)
    assert inventory_target(folder, "gw1", "root") == SshTarget("192.0.2.1", 2200, "deploy")
    _inventory(folder, NESTED, group_vars__dmz="ansible_user: dmzops\n")
    assert inventory_target(folder, "gw1", "root") == SshTarget("192.0.2.1", 2200, "dmzops")
    _inventory(folder, NESTED, host_vars__gw1="ansible_port: 22\n")
    assert inventory_target(folder, "gw1", "root") == SshTarget("192.0.2.1", 22, "dmzops")


@pytest.mark.parametrize(
    ("entry", "files"),
    [
        ("ansible_host: \"{{ lookup('env', 'X') }}\"", {}),
        ("ansible_connection: winrm", {}),
        ("ansible_ssh_common_args: -o ProxyJump=jump", {}),
        ("ansible_port: '2222'", {}),
        ("ansible_host: -oProxyCommand=x", {}),
        ("ansible_host: 10.0.0.9", {"host_vars__h1__main.yml": "ansible_user: x\n"}),
    ],
)
def test_a_connection_not_told_for_sure_gets_no_early_master(
    tmp_path: Path, entry: str, files: dict[str, str]
) -> None:
    folder = _inventory(tmp_path / "inv", f"all:\n  hosts:\n    h1:\n      {entry}\n", **files)
    assert inventory_target(folder, "h1", "root") is None
