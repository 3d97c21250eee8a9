"""Queued runs outlive the process that queued them: taken over once, started once; started
runs of a stopped process still end `interrupted`. On SQLite and PostgreSQL, and a Core
stopped gracefully with a run queued (no lab: the run fails on its own merit, once)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import text, update

from runner_api import core as core_module
from runner_api.auth.principal import AuthMethod, Principal, Role
from runner_api.core import Core
from runner_api.database import Database
from runner_api.runs.models import Run
from runner_api.runs.queued import seal_job
from runner_api.runs.recovery import recover_orphans, worker_identity
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from tests.runs.factories import make_run
from tests.secrets.apps import settings_without_lab

# A process of this host that is gone (no such pid), and one elsewhere that beats no more.
GONE = f"{socket.gethostname()}:4194999:1"


def test_of_two_processes_only_one_takes_over_a_queued_run(database: Database) -> None:
    store = RunStore(database)
    run = store.insert(make_run(1, worker=GONE, sealed_job=b"sealed"))
    first, second = store.get(run.id), store.get(run.id)
    assert store.take_over(first, "host-a:1:1") is True
    assert store.take_over(second, "host-b:2:2") is False
    assert store.get(run.id).worker == "host-a:1:1"


def test_recovery_resumes_queued_runs_and_interrupts_started_ones(database: Database) -> None:
    store = RunStore(database)
    me = worker_identity()
    queued = store.insert(make_run(1, worker=GONE, sealed_job=b"sealed"))
    started = store.insert(make_run(2, worker=GONE, status="running"))
    # Queued before jobs were kept: nothing to start it from.
    legacy = store.insert(make_run(3, worker=GONE))
    resumed: list[Run] = []

    def resume(run: Run) -> bool:  # what RunService.resume does, but for the dispatch
        resumed.append(run)
        return store.take_over(run, me)

    ended = recover_orphans(store, me, stale_after_s=30, resume=resume)

    assert [run.id for run in resumed] == [queued.id]
    assert set(ended) == {started.id, legacy.id}
    assert store.get(queued.id).status == RunStatus.QUEUED
    assert store.get(queued.id).worker == me
    assert store.get(started.id).status == RunStatus.INTERRUPTED
    # A second round (the next heartbeat) finds it owned by a live process: left alone.
    assert recover_orphans(store, me, stale_after_s=30, resume=resume) == []
    assert len(resumed) == 1


def test_a_process_that_cannot_start_runs_leaves_them_queued(database: Database) -> None:
    store = RunStore(database)
    queued = store.insert(make_run(1, worker=GONE, sealed_job=b"sealed"))
    assert recover_orphans(store, worker_identity(), stale_after_s=30) == []
    assert (store.get(queued.id).status, store.get(queued.id).worker) == ("queued", GONE)


def test_a_start_or_an_end_wipes_the_sealed_job(database: Database) -> None:
    store = RunStore(database)
    started, canceled = (store.insert(make_run(n, sealed_job=b"sealed")) for n in (1, 2))
    assert store.lock_and_start("acme/user1", started.id) is True
    assert store.transition(canceled.id, RunStatus.CANCELED)
    assert store.get(started.id).sealed_job is None
    assert store.get(canceled.id).sealed_job is None


def _audited(core: Core, run_id: str) -> list[str]:
    with core.db.session() as session:
        query = text("SELECT type FROM audit_records WHERE run_id = :id ORDER BY seq")
        return list(session.scalars(query, {"id": run_id}))


def test_a_run_queued_at_a_graceful_stop_is_started_once_by_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_without_lab(tmp_path, heartbeat_s=0.2)
    # The first process stands for one that has exited by the time the second starts.
    monkeypatch.setattr(core_module, "worker_identity", lambda: GONE)
    first = Core(settings)
    first.start()
    blocker = first.store.insert(make_run(9, worker=GONE, status="running"))
    assert first.store.try_lock_target("lab/lab-host", blocker.id)
    request = RunRequest(
        "lab", "INC-7", "smoke_check", {"host": "lab-host"}, "alice", Channel.API, "test:alice"
    )
    run = first.runs.start_run(request)
    first.stop()
    assert first.store.get(run.id).status == RunStatus.QUEUED
    first.store.release_target(blocker.id)

    monkeypatch.setattr(core_module, "worker_identity", worker_identity)
    second = Core(settings)
    second.start()
    try:
        deadline = time.monotonic() + 30
        while not RunStatus(second.store.get(run.id).status).terminal:
            assert time.monotonic() < deadline, "the queued run was never started"
            time.sleep(0.05)
    finally:
        second.stop()
    ended = second.store.get(run.id)
    # No credential without the lab: it ran, and failed on its own merit.
    assert ended.status == RunStatus.FAILED and "ssh" in (ended.error or ""), ended.error
    assert ended.started_at is not None and ended.sealed_job is None
    assert _audited(second, run.id) == [
        "run.requested",
        "run.taken_over",
        "run.running",
        "run.failed",
    ]


def test_an_approved_run_is_queued_with_its_job_and_its_approver(tmp_path: Path) -> None:
    core = Core(settings_without_lab(tmp_path))
    core.open_store()  # no workers: the approved run stays queued
    request = RunRequest(
        "lab", "INC-8", "vpn_grant", {"username": "jdoe"}, "alice", Channel.API, "test:alice"
    )
    held = core.runs.start_run(request)
    assert held.sealed_job is None, "a held run keeps its parameters in its approval only"
    bob = Principal(
        name="bob",
        roles=frozenset({Role.SENIOR_AGENT}),
        method=AuthMethod.TOKEN,
        id="test:bob",
        person="test:bob",
    )
    core.approvals.approve(held.id, bob, None)
    job = core.runs.resumed_job(core.store.get(held.id))
    assert (job.params["username"], job.approved_by) == ("jdoe", "bob")
    core.stop()


def test_the_heartbeat_takes_over_the_queued_runs_of_a_process_that_died(
    tmp_path: Path,
) -> None:
    settings = settings_without_lab(tmp_path, heartbeat_s=0.2)
    serving = Core(settings)
    serving.start()
    try:
        # Queued by another process sharing the store, which then died.
        other = Core(settings)
        other.open_store()
        request = RunRequest(
            "lab", "INC-9", "smoke_check", {"host": "lab-host"}, "alice", Channel.API, "test:alice"
        )
        run = other.runs.start_run(request)
        with other.db.session() as session:
            session.execute(update(Run).where(Run.id == run.id).values(worker=GONE))
        other.stop()
        deadline = time.monotonic() + 30
        while not RunStatus(serving.store.get(run.id).status).terminal:
            assert time.monotonic() < deadline, "the heartbeat never took the run over"
            time.sleep(0.05)
    finally:
        serving.stop()
    assert serving.store.get(run.id).worker == serving.me
    assert _audited(serving, run.id).count("run.running") == 1


def test_a_job_that_no_longer_validates_ends_failed_with_the_reason(tmp_path: Path) -> None:
    core = Core(settings_without_lab(tmp_path))
    core.open_store()
    request = RunRequest(
        "lab", "INC-10", "smoke_check", {"host": "lab-host"}, "alice", Channel.API, "test:alice"
    )
    run = core.runs.start_run(request)
    # The inventory lost the host since the run was queued.
    stale = seal_job(core.secret_key.box(), run.id, {"host": "gone-host"}, None)
    with core.db.session() as session:
        session.execute(update(Run).where(Run.id == run.id).values(worker=GONE, sealed_job=stale))
    assert core.runs.resume(core.store.get(run.id)) is False
    ended = core.store.get(run.id)
    assert ended.status == RunStatus.FAILED
    assert "could not be started again" in (ended.error or "") and "gone-host" in (
        ended.error or ""
    )
    assert ended.sealed_job is None
    core.stop()
