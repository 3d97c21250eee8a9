"""Rows of site_jobs: written with the hand-over to a site, read by claim, gone with the end."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from runner_api.database import Database
from runner_api.errors import ConflictError
from runner_api.runs.models import Run
from runner_api.runs.recovery import SITE_QUEUE_OWNER
from runner_api.runs.status import RunStatus
from runner_api.secrets.cipher import SecretBox
from runner_api.secrets.sealed import SealedColumn
from runner_api.sites.models import SiteJob
from runner_api.types import utcnow


def _context(run_id: str) -> str:
    return f"site-job:{run_id}"


SEALED_SITE_JOBS = SealedColumn(SiteJob.sealed_params, lambda job: _context(job.run_id))


class SiteJobs:
    """Sealed parameters of site runs, and the bookkeeping of their publication."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    def add(self, run_id: str, site: str, params: dict[str, Any], approved_by: str | None) -> bool:
        """Keep a queued run's parameters for its site and hand its ownership to the site's
        queue, in one transaction; False when the run is no longer queued."""
        with self.db.session() as session:
            moved = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == RunStatus.QUEUED.value)
                # The site job below is its one sealed copy from now on.
                .values(worker=f"{SITE_QUEUE_OWNER}{site}", sealed_job=None)
            )
            if not moved.rowcount:  # type: ignore[attr-defined]
                return False
            session.add(
                SiteJob(
                    run_id=run_id,
                    site=site,
                    sealed_params=self.box.seal(json.dumps(params), _context(run_id)),
                    approved_by=approved_by,
                    created_at=utcnow(),
                    # The publish follows right after this commit; the sweep must not race it.
                    published_at=utcnow(),
                )
            )
        return True

    def params(self, run_id: str) -> tuple[dict[str, Any], str | None]:
        """The run's parameters (secrets in clear) and who approved it."""
        with self.db.session() as session:
            job = session.get(SiteJob, run_id)
        if job is None:
            raise ConflictError(f"run {run_id} is not held for a site", run_id=run_id)
        params: dict[str, Any] = json.loads(self.box.open(job.sealed_params, _context(run_id)))
        return params, job.approved_by

    def publishing(self, run_id: str) -> None:
        """Note a publish attempt: the next one is due republish_s later."""
        with self.db.session() as session:
            session.execute(
                update(SiteJob).where(SiteJob.run_id == run_id).values(published_at=utcnow())
            )

    def forget(self, run_id: str) -> None:
        """Wipe a run's sealed parameters (its end was recorded)."""
        with self.db.session() as session:
            session.execute(delete(SiteJob).where(SiteJob.run_id == run_id))

    def waiting(self) -> list[tuple[str, str, str, datetime, datetime | None]]:
        """(run_id, site, status, created_at, published_at) of every held run."""
        query = select(
            SiteJob.run_id, SiteJob.site, Run.status, SiteJob.created_at, SiteJob.published_at
        ).join(Run, Run.id == SiteJob.run_id)
        with self.db.session() as session:
            return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]

    @staticmethod
    def due(published_at: datetime | None, every_s: float) -> bool:
        return published_at is None or utcnow() - published_at >= timedelta(seconds=every_s)
