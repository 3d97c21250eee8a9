"""Follow-ups: written with the run's end, started once when due, bound to the same ticket."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from runner_api.catalog.models import ActionKind
from runner_api.catalog.registry import Catalog
from runner_api.catalog.vetting import VettingLock
from runner_api.customers.registry import CustomerRegistry
from runner_api.database import Database
from runner_api.dispatch.execution import JobRunner
from runner_api.dispatch.pool import LocalPool
from runner_api.runs.context import FollowUp, Outcome, RunContext
from runner_api.runs.filters import RunFilter
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest, RunService
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from runner_api.schedules.service import Scheduler
from runner_api.types import utcnow
from tests.runs.factories import ACCOUNT_ACTION


class GrantingExecutor:
    """Grants, and asks for the revoke a moment later (as group_add with expires_at does)."""

    def execute(self, ctx: RunContext) -> Outcome:
        follow = FollowUp("account_touch", {"account": ctx.target}, utcnow() + timedelta(seconds=1))
        return Outcome(RunStatus.SUCCEEDED, changed=True, follow_ups=(follow,))


def test_follow_up_starts_once_when_due(database: Database, tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "fixline.yml").write_text("allowlists: {groups: [VPN-Users]}\n")
    store = RunStore(database)
    pool = LocalPool(store, JobRunner(store, {ActionKind.DIRECTORY: GrantingExecutor()}), 2)
    runs = RunService(
        store,
        Catalog([ACCOUNT_ACTION]),
        CustomerRegistry(tmp_path),
        VettingLock(tmp_path),
        pool,
        "me:1:1",
        900,
    )
    pool.start()
    first = runs.start_run(
        RunRequest(
            "acme",
            "INC-77",
            "account_touch",
            {"account": "bob"},
            "alice",
            Channel.API,
            "test:alice",
        )
    )
    scheduler, other_process = Scheduler(database, runs), Scheduler(database, runs)
    deadline = time.monotonic() + 10
    while store.get(first.id).status != RunStatus.SUCCEEDED and time.monotonic() < deadline:
        time.sleep(0.05)
    assert scheduler.start_due() == [], "started before it was due"
    time.sleep(1.1)
    started = scheduler.start_due() + other_process.start_due()
    pool.stop()
    assert len(started) == 1
    follow = store.get(started[0])
    assert (follow.ticket_id, follow.channel, follow.requested_by) == (
        "INC-77",
        "schedule",
        "alice",
    )
    every = store.search(RunFilter(ticket_id="INC-77"), 10, None)
    assert len(every) == 2
