"""Builds a site worker from Settings and runs it under Celery (`fixline worker`)."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

from runner_api.auth.tokens import token_id
from runner_api.catalog.vetting import VettingLock
from runner_api.customers.registry import CustomerRegistry
from runner_api.database import Database
from runner_api.errors import ConfigurationError
from runner_api.executors import ExecutorSet, build_executors
from runner_api.playbooks.process_tree import reap_orphans
from runner_api.private_files import private_dir
from runner_api.runs.recovery import worker_identity
from runner_api.secrets.importer import import_folder
from runner_api.secrets.keys import load_key, verify_key
from runner_api.secrets.store import EncryptedCredentialSource
from runner_api.settings import Settings
from runner_api.shipped import shipped_catalog
from runner_api.sites.client import ApiClient
from runner_api.sites.queues import TASK_NAME, celery_app, queue_name
from runner_api.sites.worker import SiteWorker

log = logging.getLogger(__name__)


def worker_token(settings: Settings) -> str:
    if settings.worker_token is not None:
        return settings.worker_token.get_secret_value()
    path = settings.worker_token_file
    if path is None:
        raise ConfigurationError(
            "a site worker needs its API token: set FIXLINE_WORKER_TOKEN or "
            "FIXLINE_WORKER_TOKEN_FILE (create one with `fixline tokens create --role worker "
            "--customer C ...` on the central server)"
        )
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as exc:
        raise ConfigurationError(f"FIXLINE_WORKER_TOKEN_FILE cannot be read: {exc}") from None
    if not lines or not lines[0].strip():
        raise ConfigurationError("FIXLINE_WORKER_TOKEN_FILE is empty")
    return lines[0].strip()


def worker_name(token: str) -> str:
    """`<token id>/<host:pid:start>`: the API takes a worker's reports only under a name
    that starts with the id of the token it calls with (sites/service.py)."""
    bound_to = token_id(token)
    if bound_to is None:
        raise ConfigurationError(
            "the site worker's token is not a Fixline API token (fxl_...): create one with "
            "`fixline tokens create --role worker --customer C ...` on the central server"
        )
    return f"{bound_to}/{worker_identity()}"


class SiteRuntime:
    """A site worker's own pieces: local credential store, executors, API client."""

    def __init__(self, settings: Settings, site: str) -> None:
        self.settings = settings
        self.site = site
        # The site's own small store: its customers' credentials (encrypted) and the ledger
        # of certificates it issued. Never the central store.
        private_dir(settings.data_dir)
        self.db = Database(settings.resolved_database_url)
        self.db.upgrade()
        key = load_key(settings)
        verify_key(self.db, key)
        credentials = EncryptedCredentialSource(self.db, key)
        import_folder(settings.resolved_credentials_dir, credentials)
        self.executors: ExecutorSet = build_executors(
            settings, self.db, VettingLock(settings.project_dir), credentials
        )
        verify: str | bool = str(settings.worker_ca_file) if settings.worker_ca_file else True
        token = worker_token(settings)
        self.client = ApiClient(settings.api_url, token, worker_name(token), site, verify=verify)
        self.worker = SiteWorker(
            self.client,
            shipped_catalog(),  # the API's own: both must agree on every action
            CustomerRegistry(settings.resolved_inventories_dir),
            self.executors.by_kind,
        )

    def close(self) -> None:
        self.worker.stop()
        self.client.close()
        self.executors.close()
        self.db.dispose()


def run_worker(settings: Settings, site: str, concurrency: int) -> None:
    """Consume the site's queue until stopped (SIGTERM: finish the runs in hand first)."""
    settings.resolved_work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    runtime = SiteRuntime(settings, site)
    app = celery_app(settings.broker_url)

    @app.task(name=TASK_NAME, ignore_result=True)  # type: ignore[untyped-decorator]
    def site_run(run_id: str) -> None:
        runtime.worker.execute(run_id)

    queue = queue_name(settings.queue_prefix, site)
    # A predecessor killed mid-run left its playbooks running here; the API cannot reach
    # this host to stop them (it records their runs interrupted, never re-run).
    reap_orphans()
    runtime.worker.start()
    log.info("site worker %s consuming %s", runtime.client.worker, queue)
    try:
        app.worker_main(
            [
                "worker",
                "--queues",
                queue,
                "--concurrency",
                str(concurrency),
                # Threads, not forks: the executors' connection pools live in this process.
                "--pool",
                "threads",
                "--hostname",
                f"{site}@{socket.gethostname()}",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ]
        )
    finally:
        runtime.close()
