"""The warm Ansible: each run is a fresh fork that reads its own config, carries its run's
marker like a cold ansible-playbook, and shares no SSH master or state with another run."""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil

from runner_api.playbooks import PlaybookExecutor
from runner_api.playbooks.config import RUN_MARKER_ENV, RUN_OWNER_ENV, owner_marker
from runner_api.playbooks.process_tree import kill_run_processes
from runner_api.playbooks.warm import WarmAnsible
from runner_api.playbooks.warm_server import SLOT_ENV
from runner_api.runs.status import RunStatus
from tests.playbooks.conftest import (
    HostSide,
    Run,
    assert_no_trace,
    marker_processes,
    wait_for_marker,
    when_running,
)
from tests.playbooks.test_stop import SLEEP_TASK

LOCAL_SLEEP = """\
- name: Sleep here
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Sleep with the marker
      ansible.builtin.command: "sleep 300 {{ marker }}"
"""


def _start(
    warm: WarmAnsible, args: list[str], env: dict[str, str], **kw: object
) -> subprocess.Popen[str]:
    assert warm.ready(), "the warm Ansible server did not start"
    binary, argv, warm_env = warm.command(args)
    return subprocess.Popen(
        [binary, *argv],
        env={**os.environ, **env, **warm_env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,  # type: ignore[arg-type]
    )


def _wait_for_task(marker: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(line.split(": ", 1)[1].startswith("sleep") for line in marker_processes(marker)):
            return True
        time.sleep(0.05)
    return False


def _server_state(warm: WarmAnsible) -> dict[str, str]:
    assert warm.pid is not None
    return psutil.Process(warm.pid).environ()


def test_each_run_reads_its_own_config(warm_ansible: WarmAnsible, tmp_path: Path) -> None:
    for name in ("first", "second"):
        cfg = tmp_path / f"{name}.cfg"
        cfg.write_text("[defaults]\nnocolor = True\n")
        started = _start(warm_ansible, ["--version"], {"ANSIBLE_CONFIG": str(cfg)})
        out, err = started.communicate(timeout=60)
        assert started.returncode == 0, err
        assert f"config file = {cfg}" in out, out
    # The server itself ran nothing: its environment still holds the empty slot.
    state = _server_state(warm_ansible)
    assert SLOT_ENV in state and RUN_MARKER_ENV not in state


def test_a_warm_run_carries_its_marker_and_is_killed_by_it(
    warm_ansible: WarmAnsible, tmp_path: Path
) -> None:
    """The forked ansible-playbook and its workers show the run's marker in /proc, as a
    cold one's would: the process tree finds and kills all of it (the task included)."""
    playbook = tmp_path / "sleep.yml"
    playbook.write_text(LOCAL_SLEEP)
    run_id = f"run-{uuid.uuid4().hex[:12]}"
    marker = f"0.{uuid.uuid4().int % 10**15:015d}"
    args = ["-i", "localhost,", "-e", f"marker={marker}", str(playbook)]
    args += ["-e", "ansible_python_interpreter=/usr/bin/python3"]
    env = {
        RUN_MARKER_ENV: run_id,
        RUN_OWNER_ENV: owner_marker(),
        "ANSIBLE_HOME": str(tmp_path / "home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
    }
    client = _start(warm_ansible, args, env, cwd=tmp_path)
    try:
        # The client names the marker too (in its arguments): wait for the task itself.
        assert _wait_for_task(marker, 30), client.communicate(timeout=5)
        assert warm_ansible.pid is not None
        forked = psutil.Process(warm_ansible.pid).children()
        marked = [p for p in forked if p.environ().get(RUN_MARKER_ENV) == run_id]
        assert len(marked) == 1, forked
        assert marked[0].environ()[RUN_OWNER_ENV] == owner_marker()

        assert kill_run_processes(run_id) >= 3  # client, playbook, worker, module, sleep

        assert marker_processes(marker) == []
        assert not marked[0].is_running()
        client.communicate(timeout=10)
        assert client.returncode != 0
    finally:
        if client.poll() is None:
            client.kill()
        client.communicate()


def test_two_runs_share_no_ssh_master_and_each_reads_its_own_config(
    make_executor: Callable[..., PlaybookExecutor],
    make_run: Callable[..., Run],
    work_dir: Path,
) -> None:
    """Two executors on one warm server, one pipelined and one not: each run is a child of
    the server, runs as its own config says, over an SSH master of its own."""
    seen: list[tuple[HostSide, int, str]] = []
    for pipelining in (True, False):
        executor = make_executor(pipelining=pipelining)
        run = make_run("fx_sleep")

        def _look(host: HostSide, run: Run = run) -> None:
            master = host.client()
            seen.append((host, master.pid, " ".join(master.cmdline())))
            run.ctx.cancel_requested.set()

        hosts = when_running(run, SLEEP_TASK, _look)
        started = time.monotonic()
        outcome, _ = run.execute(executor)

        assert hosts, "the remote sleep never started, so nothing was proven"
        assert outcome.status is RunStatus.CANCELED, outcome
        assert hosts[0].watched() is pipelining, "the run did not read its own ansible.cfg"
        assert not wait_for_marker(run.marker, 0.5)
        assert time.monotonic() - started < 60
        assert_no_trace(run, outcome, work_dir)
    (_, first_pid, first_title), (_, second_pid, second_title) = seen
    assert first_pid != second_pid and not psutil.pid_exists(first_pid)
    # Each master lives in its own run's control path folder (named in the command line of
    # a master opened early, in the title of one Ansible opened).
    folders = [re.search(r"/dev/shm/fx-[^/]+/cp/", title) for title in (first_title, second_title)]
    assert folders[0] and folders[1], seen
    assert folders[0].group() != folders[1].group(), seen
