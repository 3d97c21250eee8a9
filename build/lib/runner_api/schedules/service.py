"""Starts due scheduled runs through start_run; each is claimed once, across processes."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select, update

from runner_api.database import Database
from runner_api.errors import FixlineError
from runner_api.runs.context import FollowUp
from runner_api.runs.models import Run
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest, RunService
from runner_api.schedules.models import ScheduledRun, ScheduleStatus
from runner_api.types import utcnow

log = logging.getLogger(__name__)


def scheduled_rows(parent: Run, follow_ups: tuple[FollowUp, ...]) -> list[ScheduledRun]:
    """Rows for a finished run's follow-ups (written with its terminal status)."""
    return [
        ScheduledRun(
            id=str(uuid.uuid4()),
            parent_run_id=parent.id,
            customer=parent.customer,
            ticket_id=parent.ticket_id,
            action=follow.action,
            params=dict(follow.params),
            requested_by=parent.requested_by,
            requester_id=parent.requester_id,
            due_at=follow.due_at,
            status=ScheduleStatus.PENDING.value,
            created_at=utcnow(),
        )
        for follow in follow_ups
    ]


class Scheduler:
    """Polled by the heartbeat: starts what is due."""

    def __init__(self, db: Database, runs: RunService) -> None:
        self.db = db
        self.runs = runs

    def due(self, now: datetime | None = None) -> list[ScheduledRun]:
        query = select(ScheduledRun).where(
            ScheduledRun.status == ScheduleStatus.PENDING.value,
            ScheduledRun.due_at <= (now or utcnow()),
        )
        with self.db.session() as session:
            return list(session.scalars(query.order_by(ScheduledRun.due_at).limit(50)))

    def _claim(self, row_id: str) -> bool:
        with self.db.session() as session:
            result = session.execute(
                update(ScheduledRun)
                .where(
                    ScheduledRun.id == row_id,
                    ScheduledRun.status == ScheduleStatus.PENDING.value,
                )
                .values(status=ScheduleStatus.CLAIMED.value)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def _settle(self, row_id: str, status: ScheduleStatus, **fields: str | None) -> None:
        with self.db.session() as session:
            session.execute(
                update(ScheduledRun)
                .where(ScheduledRun.id == row_id)
                .values(status=status.value, **fields)
            )

    def start_due(self) -> list[str]:
        """Start every due run this process claims; returns the started run ids."""
        started = []
        for row in self.due():
            if not self._claim(row.id):
                continue  # another process took it
            try:
                run = self.runs.start_run(
                    RunRequest(
                        customer=row.customer,
                        ticket_id=row.ticket_id,
                        action=row.action,
                        params=dict(row.params),
                        requested_by=row.requested_by,
                        requester_id=row.requester_id,
                        channel=Channel.SCHEDULE,
                    )
                )
            except FixlineError as exc:
                log.warning("scheduled run %s could not start: %s", row.id, exc.message)
                self._settle(
                    row.id,
                    ScheduleStatus.FAILED,
                    error=exc.message,
                    run_id=exc.details.get("run_id"),
                )
                continue
            self._settle(row.id, ScheduleStatus.STARTED, run_id=run.id)
            started.append(run.id)
        return started
