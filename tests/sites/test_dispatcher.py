"""SiteDispatcher: a remote site's run is sealed with the Job's own parameters."""

from __future__ import annotations

import secrets
from pathlib import Path

from runner_api.catalog.registry import Catalog
from runner_api.catalog.vetting import VettingLock
from runner_api.customers.registry import CustomerRegistry
from runner_api.database import Database
from runner_api.dispatch.execution import JobRunner
from runner_api.dispatch.pool import LocalPool
from runner_api.runs.recovery import SITE_QUEUE_OWNER
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest, RunService
from runner_api.runs.store import RunStore
from runner_api.secrets.cipher import SecretBox
from runner_api.sites.dispatcher import SiteDispatcher
from runner_api.sites.jobs import SiteJobs
from tests.runs.factories import ACCOUNT_ACTION


class RecordingPublisher:
    """Our own bookkeeping double of the broker side: which run ids went to which site."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str]] = []

    def publish(self, site: str, run_id: str) -> bool:
        self.published.append((site, run_id))
        return True


def test_a_site_run_is_sealed_with_its_jobs_parameters(database: Database, tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "fixline.yml").write_text(
        "site: branch-a\nallowlists: {groups: [VPN-Users]}\n"
    )
    store = RunStore(database)
    jobs = SiteJobs(database, SecretBox(secrets.token_bytes(32)))
    publisher = RecordingPublisher()
    local = LocalPool(store, JobRunner(store, {}), workers=0)
    service = RunService(
        store=store,
        catalog=Catalog([ACCOUNT_ACTION]),
        customers=CustomerRegistry(tmp_path),
        vetting=VettingLock(tmp_path),
        dispatcher=SiteDispatcher(local, jobs, publisher, {"local"}),
        worker_id="me:1:1",
        default_timeout_s=900,
    )
    secret = f"canary-{secrets.token_hex(8)}"
    params = {"account": "bob", "secret": secret}
    request = RunRequest("acme", "INC-1", "account_touch", params, "alice", Channel.API, "t:alice")
    run = service.start_run(request)

    params, approved_by = jobs.params(run.id)
    assert params == {"account": "bob", "secret": secret, "group": "VPN-Users"}
    assert publisher.published == [("branch-a", run.id)]
    job = service.approved_job(run, params, approved_by)
    assert job.sealable == params
    # A Job may be logged: its repr shows neither the clear nor the sealable parameters.
    assert secret not in repr(job)
    assert secret not in str(job)
    # The site's queue owns the run now: listed under it, not under the API process.
    owner = f"{SITE_QUEUE_OWNER}branch-a"
    assert [r.id for r in store.unfinished(owner)] == [run.id]
    assert store.unfinished("me:1:1") == []
    assert [r.id for r in store.unfinished()] == [run.id]
