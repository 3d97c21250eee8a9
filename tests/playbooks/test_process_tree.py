"""kill_run_processes finds what killpg misses: setsid()-detached descendants."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import psutil

from runner_api.playbooks.config import RUN_MARKER_ENV
from runner_api.playbooks.process_tree import kill_run_processes, run_processes
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
