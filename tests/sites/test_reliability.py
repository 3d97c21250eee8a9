"""What scale-out must survive: a worker killed mid-run, a broker restart, a cancel."""

from __future__ import annotations

import time
from collections.abc import Callable

from runner_api.playbooks.process_tree import run_processes
from tests.plugins.directory_lab import DirectoryLabHandle
from tests.plugins.sites import OwnRedis, SiteLab, wait_status

TERMINAL = {"succeeded", "failed", "refused", "canceled", "timed_out", "interrupted"}
RESTART = {"host": "lab-host", "unit": "fixline-lab-web"}


def _count(site_lab: SiteLab, run_id: str, kind: str) -> int:
    page = site_lab.server.client.get(
        "/audit/records", params={"run_id": run_id, "type": kind, "limit": 100}
    ).json()
    return len(page["items"])


def test_a_worker_killed_mid_run_leaves_the_run_interrupted_never_re_run(
    site_lab: SiteLab,
) -> None:
    worker = site_lab.worker("branch-a")
    worker.start()
    run_id = site_lab.start_run("lab", "service_restart", **RESTART)
    wait_status(site_lab.server, run_id, {"running"}, timeout=60)
    time.sleep(0.5)
    worker.kill9()

    ended = wait_status(site_lab.server, run_id, TERMINAL, timeout=60)
    assert ended["status"] == "interrupted", ended
    assert "not re-run" in str(ended["error"])
    # Another worker of the site comes up: the killed run's message was acknowledged on
    # receipt, and the claim moves a run to running only once, so nothing runs it again.
    site_lab.worker("branch-a").start()
    time.sleep(4)
    assert site_lab.server.client.get(f"/runs/{run_id}").json()["status"] == "interrupted"
    assert _count(site_lab, run_id, "run.running") == 1
    # Nothing of the killed run lives on: the API reaped its Ansible processes.
    deadline = time.monotonic() + 10
    while run_processes(run_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run_processes(run_id) == [], "processes of the interrupted run were left"
    # The target is free again: the next run on it goes through the new worker.
    again = site_lab.start_run("lab", "service_restart", **RESTART)
    assert wait_status(site_lab.server, again, TERMINAL, timeout=120)["status"] == "succeeded"


def test_a_broker_restart_loses_no_queued_run(
    fresh_directory_lab: DirectoryLabHandle,
    site_lab_factory: Callable[..., SiteLab],
    own_redis: OwnRedis,
) -> None:
    site_lab = site_lab_factory(own_redis.url)
    users = ["chloe.nguyen", "ben.carter", "henry.moreau"]
    runs = [site_lab.start_run("lab", "account_unlock", username=user) for user in users]
    assert len(site_lab.queued_messages("branch-a")) >= len(runs)
    # The broker keeps nothing on disk: a restart drops every message it held.
    own_redis.stop()
    own_redis.start()
    assert site_lab.queued_messages("branch-a") == []

    site_lab.worker("branch-a").start()
    for run_id in runs:
        done = wait_status(site_lab.server, run_id, TERMINAL, timeout=60)
        assert done["status"] == "succeeded", done
        assert _count(site_lab, run_id, "run.running") == 1


def test_events_stream_live_and_cancel_reaches_the_site_worker(site_lab: SiteLab) -> None:
    site_lab.worker("branch-a").start()
    run_id = site_lab.start_run("lab", "service_restart", **RESTART)
    wait_status(site_lab.server, run_id, {"running"}, timeout=60)
    # The worker's events arrive while the run is still going, as for local runs.
    deadline = time.monotonic() + 30
    events: list[object] = []
    while not events and time.monotonic() < deadline:
        events = site_lab.server.client.get(
            f"/runs/{run_id}/events", params={"stream": False}
        ).json()
        time.sleep(0.1)
    assert events, "no event of the running run reached the API"
    assert site_lab.server.client.get(f"/runs/{run_id}").json()["status"] == "running"
    asked = time.monotonic()
    response = site_lab.server.client.post(f"/runs/{run_id}/cancel")
    assert response.status_code in (200, 202), response.text
    ended = wait_status(site_lab.server, run_id, TERMINAL, timeout=30)
    assert ended["status"] == "canceled", ended
    assert time.monotonic() - asked < 15
    assert run_processes(run_id) == []
