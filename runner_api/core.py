"""Builds the run spine from Settings: store, catalog, customers, executors, dispatcher.

The API (create_app) and the CLI both use it; nothing is built at import time.
"""

from __future__ import annotations

import logging
import shutil

import httpx

from runner_api.api.errors import body_of, status_of
from runner_api.approvals.gate import SEALED_APPROVALS, ApprovalGate
from runner_api.approvals.notices import DecisionNotices
from runner_api.approvals.rules import ApprovalRules
from runner_api.approvals.service import ApprovalService
from runner_api.audit.log import AuditLog
from runner_api.audit.signing import load_or_create_signer
from runner_api.auth.denials import DenialAudit
from runner_api.auth.sessions import SessionStore
from runner_api.auth.tokens import TokenStore
from runner_api.catalog.vetting import VettingLock
from runner_api.customers.registry import CustomerRegistry
from runner_api.database import Database
from runner_api.directory import DirectoryService
from runner_api.directory.login import LdapLoginDirectory, LoginDirectoryConfig
from runner_api.directory.picker import UserPicker
from runner_api.dispatch.execution import JobRunner
from runner_api.dispatch.health import ServiceHealth
from runner_api.dispatch.heartbeat import Heartbeat
from runner_api.dispatch.pool import LocalPool
from runner_api.entra.picker import EntraUsers
from runner_api.errors import FixlineError
from runner_api.executors import ExecutorBuilder, build_executors
from runner_api.mailbox import MailboxService
from runner_api.metrics import Metrics
from runner_api.monitoring.feedback import NagiosFeedback
from runner_api.monitoring.service import Monitoring
from runner_api.notify.relay import Relay
from runner_api.notify.transport import SmtpTransport
from runner_api.outbox.relay import Retry
from runner_api.playbooks.process_tree import kill_run_processes, reap_orphans
from runner_api.playbooks.workspace import sweep_socket_folders
from runner_api.private_files import private_dir
from runner_api.reports.reader import AuditReader
from runner_api.reveals.service import SEALED_REVEALS, RevealService
from runner_api.routing.services import Services
from runner_api.runs.limits import RateLimits
from runner_api.runs.queued import SEALED_QUEUED_RUNS
from runner_api.runs.recovery import recover_orphans, worker_identity
from runner_api.runs.service import Dispatcher, RunService
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from runner_api.runs.watch import RunWatch
from runner_api.schedules.service import Scheduler
from runner_api.secrets.importer import import_folder
from runner_api.secrets.keys import load_key, verify_key
from runner_api.secrets.rotation import adopt_staged_key
from runner_api.secrets.sealed import SealedColumn
from runner_api.secrets.store import SEALED_CREDENTIALS, EncryptedCredentialSource
from runner_api.settings import Settings
from runner_api.shipped import shipped_catalog
from runner_api.sites.dispatcher import SiteDispatcher
from runner_api.sites.jobs import SEALED_SITE_JOBS, SiteJobs
from runner_api.sites.queues import Publisher, celery_app
from runner_api.sites.service import SiteRuns
from runner_api.tickets.outbox import WriteBack
from runner_api.tickets.relay import TicketRelay, TicketSystems
from runner_api.types import utcnow
from runner_api.webhooks.deliveries import Answer, Deliveries
from runner_api.webhooks.queued import SEALED_DELIVERIES
from runner_api.webhooks.receiving import Receiver
from runner_api.webhooks.service import WebhookService
from runner_api.webhooks.sources import load_sources
from runner_api.webhooks.starter import WebhookStarter

log = logging.getLogger(__name__)


def sealed_columns() -> tuple[SealedColumn, ...]:
    """Every column sealed with the service key: what `fixline secrets rotate-key` re-seals."""
    return (
        SEALED_CREDENTIALS,
        SEALED_REVEALS,
        SEALED_APPROVALS,
        SEALED_QUEUED_RUNS,
        SEALED_SITE_JOBS,
        SEALED_DELIVERIES,
    )


class Core:
    """Every long-lived object of one Fixline process."""

    def __init__(self, settings: Settings, build: ExecutorBuilder = build_executors) -> None:
        self.settings = settings
        # Before anything is written into it: the store and the keys live here.
        private_dir(settings.data_dir)
        self.db = Database(settings.resolved_database_url)
        self.audit = AuditLog(
            self.db,
            load_or_create_signer(settings.resolved_audit_key_file),
            checkpoint_records=settings.audit_checkpoint_records,
            checkpoint_every_s=settings.audit_checkpoint_every_s,
        )
        self.store = RunStore(self.db, audit=self.audit)
        self.denials = DenialAudit(self.audit, settings.audit_denials_per_minute)
        self.tokens = TokenStore(self.db, self.audit)
        self.metrics = Metrics()
        self.catalog = shipped_catalog()
        self.customers = CustomerRegistry(settings.resolved_inventories_dir)
        self.vetting = VettingLock(settings.project_dir)
        # Never from the database: a dump of it must not open the secrets it holds.
        self.secret_key = load_key(settings)
        if settings.secret_key is None:
            # A rotation that committed but died before installing its key left it in .new.
            self.secret_key = adopt_staged_key(
                self.db, self.secret_key, settings.resolved_secret_key_file
            )
        login = LoginDirectoryConfig.from_settings(settings)
        self.sessions = SessionStore.from_settings(
            settings,
            self.db,
            self.audit,
            self.secret_key.material,
            LdapLoginDirectory(login) if login is not None else None,
        )
        self.credentials = EncryptedCredentialSource(self.db, self.secret_key, audit=self.audit)
        work_dir = settings.resolved_work_dir
        self.executors = build(settings, self.db, self.vetting, self.credentials)
        self.directory_gateway = self.executors.directory_gateway
        self.directory = DirectoryService(self.directory_gateway, self.customers)
        graph = self.executors.graph_gateway
        # The picker searches where a customer's accounts live: AD, Entra ID or both.
        self.picker = UserPicker(
            self.directory, EntraUsers(graph) if graph is not None else None, self.customers
        )
        self.mailbox_gateway = self.executors.mailbox_gateway
        self.mailbox = MailboxService(self.mailbox_gateway, self.customers)
        self.ca = self.executors.ca
        executors = self.executors.by_kind
        self.me = worker_identity()
        self.reveals = RevealService(
            self.db,
            self.secret_key.box(),
            settings.reveal_ttl_s,
            audit=self.audit,
            wait_s=settings.reveal_wait_s,
        )
        self.relay = Relay(
            self.db,
            self.audit,
            SmtpTransport(settings) if settings.smtp_host else None,
            settings.notify_from,
            # A claimed notice is tried again after the lease, should its process die mid-send.
            Retry(
                settings.notify_max_attempts,
                settings.notify_backoff_s,
                2 * settings.smtp_timeout_s + 30,
            ),
        )
        # Validated now: a sources file that does not fit the catalog stops start-up.
        self.sources = load_sources(
            settings.resolved_webhook_sources_file, self.catalog, self.customers
        )
        self._ticket_client = httpx.Client(timeout=settings.ticket_timeout_s)
        self.ticket_systems = TicketSystems(settings, self.sources, self._ticket_client)
        self.ticket_relay = TicketRelay(
            self.db,
            self.audit,
            self.ticket_systems,
            Retry(
                settings.ticket_max_attempts,
                settings.ticket_backoff_s,
                2 * settings.ticket_timeout_s + 30,
            ),
        )
        self.runner = JobRunner(
            self.store,
            executors,
            self.metrics,
            self.reveals,
            notices_committed=self.relay.kick,
            notices_waiting=self.relay.waiting_reason,
            end_rows=WriteBack(self.sources).rows_for,
            end_rows_committed=self.ticket_relay.kick,
            ended=(
                NagiosFeedback(self.db, settings.nagios_command_file).run_ended
                if settings.nagios_command_file is not None
                else None
            ),
        )
        self.pool = LocalPool(self.store, self.runner, settings.workers)
        self.health = ServiceHealth(self.db, self.pool, self.metrics, settings.workers)
        self.audit_reader = AuditReader(self.db, self.audit)
        # Site runs: sealed parameters in the store, run ids on the broker (executor=celery).
        self.site_jobs = SiteJobs(self.db, self.secret_key.box())
        self.publisher = (
            Publisher(celery_app(settings.broker_url), settings.queue_prefix)
            if settings.executor == "celery"
            else None
        )
        dispatcher: Dispatcher = (
            SiteDispatcher(self.pool, self.site_jobs, self.publisher, set(settings.local_sites))
            if self.publisher is not None
            else self.pool
        )
        rules = ApprovalRules(
            self.db,
            self.executors.accounts,
            repeat_reset_s=settings.approval_repeat_reset_s,
            high_risk_actions=settings.approval_for_high_risk_actions,
        )
        gate = ApprovalGate(self.db, rules, self.secret_key.box(), settings.approval_ttl_s)
        self.limits = RateLimits.from_settings(self.db, settings, self.audit)
        self.runs = RunService(
            store=self.store,
            catalog=self.catalog,
            customers=self.customers,
            vetting=self.vetting,
            dispatcher=dispatcher,
            worker_id=self.me,
            default_timeout_s=settings.default_timeout_s,
            limits=self.limits,
            gate=gate,
            box=self.secret_key.box(),
            watch=RunWatch(self.store, self.runner.signals, self.runner.ended_run),
        )
        notices = DecisionNotices(
            self.db, self.relay.transport is not None, settings.reveal_ttl_s, self.relay.kick
        )
        self.approvals = ApprovalService(self.store, self.runs, gate, notices)
        self.sites = SiteRuns(
            self.store,
            self.runs,
            self.customers,
            self.runner,
            self.reveals,
            self.site_jobs,
            self.publisher,
            republish_s=settings.site_republish_s,
            queue_timeout_s=settings.site_queue_timeout_s,
        )
        self.scheduler = Scheduler(self.db, self.runs)
        self.deliveries = Deliveries(self.db, self.secret_key.box())
        self.monitoring = Monitoring(
            self.db, self.runs, self.ticket_systems.open_ticket, settings.monitoring_flap_window_s
        )
        # Accepted deliveries are answered at once; this thread starts their runs.
        self.webhook_starter = WebhookStarter(
            self.db, self.secret_key.box(), self.runs, settings.webhook_sweep_s
        )
        self.webhooks = WebhookService(
            settings,
            self.sources,
            self.runs,
            self.deliveries,
            accepted=self.webhook_starter.kick,
        )
        self.receiver = Receiver(
            self.webhooks,
            self.deliveries,
            lambda exc: Answer(status_of(exc), body_of(exc)),
            events=self.monitoring,
        )
        self.heartbeat = Heartbeat(
            self.store,
            self.pool,
            self.me,
            settings.heartbeat_s,
            reap=kill_run_processes,
            resume=self.runs.resume,
            chores=(
                self.scheduler.start_due,
                self.reveals.wipe_expired,
                self.audit.checkpoint_if_due,
                self.relay.kick,
                self.ticket_relay.kick,
                self.deliveries.prune_hourly,
                self.approvals.expire_overdue,
                self.sites.sweep,
            ),
        )
        # What routes may depend on, by type (routing/services.py): never this Core itself.
        self.services = Services(
            settings,
            self.db,
            self.runs,
            self.approvals,
            self.reveals,
            self.audit_reader,
            self.sessions,
            self.tokens,
            self.denials,
            self.catalog,
            self.vetting,
            self.customers,
            self.credentials,
            self.health,
            self.limits,
            self.sites,
            self.webhooks,
            self.receiver,
            self.directory,
            self.picker,
            self.mailbox,
        )
        self._work_dir = work_dir
        self._started = False

    def start(self, *, serving: bool = True) -> None:
        """Open the store, import the credentials folder, take over the queued runs of
        stopped processes and end their started ones `interrupted`, then start the workers.

        serving=False (a CLI command running one fix): only the pool and the heartbeat of
        its own runs. The service's duties (queued runs of stopped processes, due scheduled
        runs, accepted webhooks, relays, expiries) stay with the service: a short-lived
        process would take work it does not wait for.
        """
        self.open_store()
        if serving:
            # A login limit the directory's lockout allows, or no start (ConfigurationError).
            self.sessions.check_lockout_policy()
        import_folder(self.settings.resolved_credentials_dir, self.credentials)
        private_dir(self._work_dir)
        interrupted = recover_orphans(
            self.store,
            self.me,
            self.heartbeat.stale_after_s,
            reap=kill_run_processes,
            resume=self.runs.resume if serving else None,
        )
        self._sweep_work_dir()
        sweep_socket_folders()
        reap_orphans()  # processes of runs whose Fixline process died, on this host
        if interrupted:
            log.warning(
                "%d run(s) left unfinished by a stopped process are now interrupted",
                len(interrupted),
            )
        self.pool.start()
        self.heartbeat.start(chores=serving)
        if serving:
            self.relay.start()
            self.ticket_relay.start()
            self.webhook_starter.start()
        self._started = True

    def open_store(self) -> None:
        """Migrate, then prove the secret key opens the store's secrets (else stop)."""
        if self.settings.auto_migrate:
            self.db.upgrade()
        verify_key(self.db, self.secret_key)
        if self.settings.bootstrap_token is not None:
            bootstrap = self.tokens.adopt_bootstrap(
                self.settings.bootstrap_token.get_secret_value(),
                self.settings.bootstrap_token_ttl_s,
            )
            if bootstrap.revoked_at is not None or (
                bootstrap.expires_at is not None and bootstrap.expires_at <= utcnow()
            ):
                log.warning(
                    "the bootstrap token of settings (token %s) is revoked or expired: it "
                    "opens nothing; set a new FIXLINE_BOOTSTRAP_TOKEN, or use "
                    "`fixline tokens create`",
                    bootstrap.id,
                )

    def _sweep_work_dir(self) -> None:
        """Remove per-run folders a crash left behind (they may hold extra vars)."""
        for folder in self._work_dir.iterdir():
            try:
                ended = RunStatus(self.store.get(folder.name).status).terminal
            except FixlineError:
                ended = True  # not a run of this store: nothing may keep it
            if ended:
                shutil.rmtree(folder, ignore_errors=True)

    def stop(self) -> None:
        if self._started:
            self.webhook_starter.stop()  # first: no run is submitted to a stopping pool
            # Queued runs stay queued, their job sealed in the store: the next start (or
            # another serving process) starts them. Runs recorded running that no worker
            # took yet cannot go back to queued.
            for run_id in self.pool.stop():
                self.store.transition(
                    run_id,
                    RunStatus.INTERRUPTED,
                    error="the service stopped before this run started; request it again",
                )
            self.heartbeat.stop()
            self.relay.stop()
            self.ticket_relay.stop()
            self._started = False
        self._ticket_client.close()
        self.executors.close()
        if self.publisher is not None:
            self.publisher.close()
        self.audit.checkpoint_at_shutdown()
        self.db.dispose()
