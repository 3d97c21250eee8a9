"""kill_run_processes finds what killpg misses: setsid()-detached descendants."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import psutil

from runner_api.playbooks.config import RUN_MARKER_ENV, RUN_OWNER_ENV, owner_marker
from runner_api.playbooks.process_tree import kill_run_processes, reap_orphans, run_processes
from tests.playbooks.conftest import marker_processes


def test_detached_descendants_and_marked_strangers_are_killed() -> None:
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    marker = f"0.{uuid.uuid4().int % 10**15:015d}"
    env = {**os.environ, RUN_MARKER_ENV: run_id}
    # One child in a new session (as ansible 2.19 workers are), one with a cleared env.
    script = f"setsid sleep 300 {marker} & env -i sleep 300 {marker} & wait"
    parent = subprocess.Popen(["sh", "-c", script], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 5
        # sh itself names the marker too: sh and its two sleeps.
        while len(marker_processes(marker)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(marker_processes(marker)) == 3
        other = f"run-{uuid.uuid4().hex[:8]}"
        assert run_processes(other) == []

        killed = kill_run_processes(run_id, (parent.pid,))

        assert killed >= 3
        assert marker_processes(marker) == []
        parent.wait(timeout=5)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_own_process_is_never_a_target() -> None:
    me = psutil.Process()
    assert me.pid not in {p.pid for p in run_processes("x", (me.pid,))}


def _marked_sleep(run_id: str, owner: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, RUN_MARKER_ENV: run_id, RUN_OWNER_ENV: owner}
    return subprocess.Popen(["sleep", "300"], env=env, start_new_session=True)


def test_processes_of_a_dead_owner_are_reaped_and_a_live_owners_kept() -> None:
    """What a Fixline process killed mid-run leaves behind: its playbooks go on changing
    hosts. The next Fixline process on the host kills them; live owners keep theirs."""
    gone = subprocess.Popen(["sleep", "0.05"])
    dead_owner = f"{gone.pid}:{psutil.Process(gone.pid).create_time():.2f}"
    gone.wait()
    orphan_run, owned_run = f"run-{uuid.uuid4().hex[:8]}", f"run-{uuid.uuid4().hex[:8]}"
    orphan = _marked_sleep(orphan_run, dead_owner)
    owned = _marked_sleep(owned_run, owner_marker())
    # A reused pid names another process: its start time tells them apart.
    me = psutil.Process()
    recycled = _marked_sleep(owned_run + "-r", f"{me.pid}:{me.create_time() - 100:.2f}")
    try:
        deadline = time.monotonic() + 5
        while not all(run_processes(r) for r in (orphan_run, owned_run, owned_run + "-r")):
            assert time.monotonic() < deadline, "the marked processes did not start"
            time.sleep(0.02)

        killed = reap_orphans(only_runs={orphan_run, owned_run, owned_run + "-r"})

        assert killed == 2
        assert orphan.wait(timeout=5) == -9 and recycled.wait(timeout=5) == -9
        assert owned.poll() is None and run_processes(owned_run)
    finally:
        for proc in (orphan, owned, recycled):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
