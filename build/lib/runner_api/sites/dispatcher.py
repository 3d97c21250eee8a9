"""SiteDispatcher: runs of local sites go to the local pool, the others to their site's queue.

Implements runs.service.Dispatcher, so RunService, approvals and schedules need not know
where a run executes.
"""

from __future__ import annotations

import logging

from runner_api.dispatch.pool import LocalPool
from runner_api.runs.service import Job
from runner_api.sites.jobs import SiteJobs
from runner_api.sites.queues import Publisher

log = logging.getLogger(__name__)


class SiteDispatcher:
    """Routes each job by its customer's site."""

    def __init__(
        self, local: LocalPool, jobs: SiteJobs, publisher: Publisher, local_sites: set[str]
    ) -> None:
        self.local = local
        self.jobs = jobs
        self.publisher = publisher
        self.local_sites = local_sites

    def submit(self, job: Job) -> None:
        site = job.customer.site
        if site in self.local_sites:
            self.local.submit(job)
            return
        if self.jobs.add(job.run_id, site, job.sealable, job.approved_by):
            # A failed publish is logged; the sweep tries again (the run stays queued).
            self.publisher.publish(site, job.run_id)

    def reserve(self, job: Job) -> bool:
        # Only the local pool takes a run at once; a site's run waits for its worker's claim.
        return job.customer.site in self.local_sites and self.local.reserve(job)

    def hand(self, job: Job) -> None:
        self.local.hand(job)

    def release(self, job: Job) -> None:
        self.local.release(job)

    def cancel(self, run_id: str) -> None:
        # A site run's cancel reaches its worker through the store (cancel_requested), which
        # the worker's heartbeat reads; a queued one was already ended by RunService.
        self.local.cancel(run_id)
