"""Finds runs orphaned by a stopped process: takes over the queued ones (they never started)
and ends the started ones `interrupted` (never re-runs them)."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import timedelta

import psutil

from runner_api.runs.models import Run
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from runner_api.types import utcnow

log = logging.getLogger(__name__)


def worker_identity() -> str:
    """host:pid:start-time of this process; the start time tells a reused pid apart."""
    started = int(psutil.Process(os.getpid()).create_time())
    return f"{socket.gethostname()}:{os.getpid()}:{started}"


def _owner_alive(worker: str | None) -> bool | None:
    """True/False for an owner on this host; None when it is elsewhere (use the heartbeat)."""
    if not worker:
        return False
    try:
        host, pid_text, started_text = worker.rsplit(":", 2)
        pid, started = int(pid_text), int(started_text)
    except ValueError:
        return False
    # A site worker's name starts with its token's id: `<token id>/<host:pid:start>`.
    host = host.rpartition("/")[2]
    if host != socket.gethostname():
        return None
    try:
        return int(psutil.Process(pid).create_time()) == started
    except psutil.Error:
        return False


# The owner of a run queued for a customer site's workers (sites/dispatcher.py): the
# broker holds it, and the site sweep (not this recovery) ends it if no worker takes it.
SITE_QUEUE_OWNER = "site-queue:"


def _orphaned(run: Run, me: str, stale_after_s: float) -> bool:
    if run.worker == me:
        return False
    if run.status == RunStatus.QUEUED and (run.worker or "").startswith(SITE_QUEUE_OWNER):
        return False
    alive = _owner_alive(run.worker)
    if alive is not None:
        return not alive
    beat = run.heartbeat_at or run.created_at
    return utcnow() - beat > timedelta(seconds=stale_after_s)


def recover_orphans(
    store: RunStore,
    me: str,
    stale_after_s: float,
    reap: Callable[[str], object] | None = None,
    resume: Callable[[Run], bool] | None = None,
) -> list[str]:
    """End every started run whose owning process is gone; returns their ids.

    A queued run of such a process touched nothing yet, and keeps its job sealed: with
    `resume` (a serving process: RunService.resume) it is taken over, once, and
    dispatched; without, it waits for a process that can. A queued run without a sealed
    job (queued before jobs were kept) ends `interrupted` too.
    `reap(run_id)` kills what is left of an ended run on this host (e.g. Ansible workers
    orphaned by a kill -9 of the service), so an interrupted run changes nothing more.
    """
    ended = []
    for run in store.unfinished():
        if not _orphaned(run, me, stale_after_s):
            continue
        if run.status == RunStatus.QUEUED and run.sealed_job is not None:
            previous = run.worker
            if resume is not None and resume(run):
                log.warning("run %s queued by %s (gone) is started here", run.id, previous)
            continue
        was = run.status
        reason = (
            f"the Fixline process that owned this run stopped while it was {was}; "
            "it was not re-run: check the target's state, then request it again if needed"
        )
        if store.transition(run.id, RunStatus.INTERRUPTED, error=reason):
            log.warning("run %s interrupted (owner %s gone while %s)", run.id, run.worker, was)
            ended.append(run.id)
            if reap is not None:
                reap(run.id)
    return ended
