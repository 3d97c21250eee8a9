"""Find and kill every process of one run.

ansible-runner cancels with killpg on ansible-playbook's process group, but ansible-core 2.19
detaches each task worker with setsid(), so workers and their modules survive it. A run's
processes are found instead by the marker in their environment (inherited by every
descendant, setsid or not) and by parentage. One kind escapes both: ssh's ControlPersist
master detaches (its parent is init) and rewrites its title over its environment, so
/proc shows no marker; it is found by its title, "ssh: <the run's control path dir>/...".
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Container, Iterable

import psutil

from runner_api.playbooks.config import RUN_MARKER_ENV, RUN_OWNER_ENV

log = logging.getLogger(__name__)

# Killed processes are gone within milliseconds: a run waits for that at its end.
_GONE_POLL_S = 0.002
_ROUNDS = 5


def _has_marker(proc: psutil.Process, run_id: str) -> bool:
    try:
        return proc.environ().get(RUN_MARKER_ENV) == run_id
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False


def _titled(proc: psutil.Process, titles: tuple[str, ...]) -> bool:
    if not titles:
        return False
    try:
        return " ".join(proc.cmdline()).startswith(titles)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def run_processes(
    run_id: str, roots: Iterable[int] = (), titles: tuple[str, ...] = ()
) -> list[psutil.Process]:
    """Live processes of a run: those carrying its marker or starting their command line
    with one of `titles`, the given roots, and all their descendants."""
    me = os.getpid()
    found: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter():
        if proc.pid != me and (_has_marker(proc, run_id) or _titled(proc, titles)):
            found[proc.pid] = proc
    for pid in roots:
        try:
            root = psutil.Process(pid)
        except psutil.NoSuchProcess:
            continue
        # A recycled pid would name a stranger: only trust a root that carries the marker.
        if pid != me and _has_marker(root, run_id):
            found[pid] = root
    for proc in list(found.values()):
        try:
            # Children that cleared their environment (sudo, env -i) are still descendants.
            for child in proc.children(recursive=True):
                if child.pid != me:
                    found.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            continue
    return [proc for proc in found.values() if _alive(proc)]


def kill_run_processes(
    run_id: str, roots: Iterable[int] = (), titles: tuple[str, ...] = (), wait_s: float = 5.0
) -> int:
    """SIGKILL every process of a run (run_processes) and wait until they are dead;
    returns how many."""
    roots = tuple(roots)
    killed: set[int] = set()
    deadline = time.monotonic() + wait_s
    # Several rounds: a process may fork between the scan and the kill.
    for _ in range(_ROUNDS):
        procs = run_processes(run_id, roots, titles)
        if not procs:
            break
        for proc in procs:
            try:
                proc.kill()
                killed.add(proc.pid)
            except psutil.NoSuchProcess:
                continue
        # Wait without reaping: ansible-playbook is pexpect's child, and pexpect must reap it.
        while any(_alive(proc) for proc in procs) and time.monotonic() < deadline:
            time.sleep(_GONE_POLL_S)
    return len(killed)


def reap_orphans(only_runs: Container[str] | None = None) -> int:
    """Kill the processes of runs whose starting process is gone; returns how many.

    A Fixline process that died mid-run (SIGKILL, OOM, power to the service only) leaves
    ansible-playbook and its workers running, still changing hosts while the store says
    the run was interrupted. The API reaps the runs it ends itself; this also covers a
    site worker restarted on another host, and runs of any earlier process here. Owners
    still alive (another server or worker on this host) keep their runs.
    `only_runs`: restrict to these run ids (tests).
    """
    orphaned: set[str] = set()
    for proc in psutil.process_iter():
        try:
            env = proc.environ()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        run_id, owner = env.get(RUN_MARKER_ENV), env.get(RUN_OWNER_ENV)
        if run_id is None or owner is None or run_id in orphaned:
            continue
        if (only_runs is None or run_id in only_runs) and not _owner_alive(owner):
            orphaned.add(run_id)
    killed = sum(kill_run_processes(run_id) for run_id in orphaned)
    if killed:
        log.warning(
            "killed %d process(es) of %d run(s) whose Fixline process had died: %s",
            killed,
            len(orphaned),
            ", ".join(sorted(orphaned)),
        )
    return killed


def _owner_alive(owner: str) -> bool:
    pid_text, _, started = owner.partition(":")
    try:
        proc = psutil.Process(int(pid_text))
        return f"{proc.create_time():.2f}" == started and _alive(proc)
    except (ValueError, psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True  # someone else's process: not ours to judge
