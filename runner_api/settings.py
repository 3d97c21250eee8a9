"""The one typed Settings object (env prefix FIXLINE_), injected into create_app()."""

from __future__ import annotations

import ipaddress
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Settings import nothing of the features: the features read their settings from here.
FIRST_LINE_TIMEOUT_S = 15 * 60


class SmtpSecurity(StrEnum):
    """How notifications reach the SMTP server."""

    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


def _default_project_dir() -> Path:
    # In a checkout the playbooks/, roles/ and inventories/ folders sit beside the package;
    # an installed wheel has the vetted playbooks and roles in <prefix>/share/fixline.
    beside_package = Path(__file__).resolve().parent.parent
    if (beside_package / "playbooks").is_dir():
        return beside_package
    installed = Path(sys.prefix) / "share" / "fixline"
    if (installed / "playbooks").is_dir():
        return installed
    return Path.cwd()


class Settings(BaseSettings):
    """Everything Fixline can be told; defaults run the embedded single-machine setup."""

    model_config = SettingsConfigDict(env_prefix="FIXLINE_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path(".fixline"), description="State: SQLite store, lab, runs.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default SQLite in data_dir (WAL, synchronous=FULL)."
    )
    project_dir: Path = Field(
        default_factory=_default_project_dir,
        description="Folder holding playbooks/, roles/ and vetting.lock.json (and, unless "
        "inventories_dir says otherwise, inventories/): the checkout, or <prefix>/share/fixline "
        "of an installed wheel.",
    )
    inventories_dir: Path | None = Field(
        None,
        description="One folder per customer (hosts.yml, fixline.yml); default "
        "project_dir/inventories. An installed wheel ships none: point this at yours.",
    )
    work_dir: Path | None = Field(
        None, description="Parent of per-run private folders; default data_dir/work."
    )
    credentials_dir: Path | None = Field(
        None, description="Per-customer credentials; default data_dir/credentials."
    )
    lab_dir: Path | None = Field(None, description="Local lab state; default data_dir/lab.")

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1, le=64)
    default_timeout_s: int = Field(FIRST_LINE_TIMEOUT_S, ge=1)
    heartbeat_s: float = Field(5.0, gt=0)
    pexpect_timeout_s: float = Field(0.5, gt=0)
    playbook_pipelining: bool = Field(
        True,
        description="Pipeline Ansible modules over SSH (modules die with their channel "
        "through the vetted fixline_sh shell plugin); false runs each module under a pty.",
    )
    warm_ansible: bool = Field(
        True,
        description="Fork each ansible-playbook from a process that has imported Ansible "
        "already (saves its start-up imports); false starts each one cold.",
    )
    reveal_ttl_s: int = Field(
        300,
        ge=30,
        le=3600,
        description="The hand-over window of a one-time reveal, from when its requester is told.",
    )
    reveal_wait_s: int = Field(
        28800,
        ge=60,
        le=7 * 86400,
        description="How long the secret of an approved run waits for its requester to be "
        "told it is ready (they may have left meanwhile); then it is wiped unread.",
    )
    secret_key_file: Path | None = Field(
        None, description="AES key for secrets at rest; default data_dir/secret.key (0600)."
    )
    secret_key: SecretStr | None = Field(
        None,
        description="The AES key as base64 of 32 bytes (FIXLINE_SECRET_KEY); wins over the file.",
    )
    auto_migrate: bool = Field(True, description="Bring the store schema up to date at start.")
    audit_key_file: Path | None = Field(
        None, description="Ed25519 checkpoint signing key; default data_dir/audit-signing.key."
    )
    audit_checkpoint_records: int = Field(
        1000, ge=1, description="Sign a checkpoint at least every this many audit records."
    )
    audit_checkpoint_every_s: float = Field(
        3600.0, gt=0, description="... and at least this often while records come in."
    )
    run_events_retention_days: int = Field(
        90, ge=1, description="Run events older than this may be pruned (audit records never)."
    )

    # --- notifications ---
    smtp_host: str | None = Field(
        None, description="SMTP server for notifications; unset: they wait, pending."
    )
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_security: SmtpSecurity = Field(
        SmtpSecurity.STARTTLS, description="none, starttls or tls (implicit, port 465)."
    )
    smtp_user: str | None = Field(None, description="SMTP login; unset: no AUTH.")
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(10.0, gt=0, le=120)
    notify_from: str = Field(
        "fixline@localhost", description="From: address of notifications (and Message-ID domain)."
    )
    notify_max_attempts: int = Field(8, ge=1, le=100, description="Then a notice is failed.")
    notify_backoff_s: float = Field(
        30.0, gt=0, description="Wait after the first failed attempt; doubles each time."
    )

    # --- approvals and rate limits ---
    approval_ttl_s: int = Field(
        1800,
        ge=60,
        le=7 * 24 * 3600,
        description="How long a run waits for approval; then it is rejected as expired.",
    )
    approval_repeat_reset_s: int = Field(
        600,
        ge=0,
        description="A second password reset of the same account within this many seconds "
        "waits for approval (0: never).",
    )
    approval_for_high_risk_actions: bool = Field(
        False,
        description="Every run of an action of risk tier high waits for approval, not only "
        "the high-risk cases (VIP reset, repeat reset, external forwarding, VPN grant).",
    )
    rate_limit_requester_per_hour: int = Field(
        60,
        ge=0,
        description="Runaway requester: runs one requester may start per hour, every customer, "
        "target and action (0: no limit). Previews (check mode) never count.",
    )
    rate_limit_target_per_hour: int = Field(
        60,
        ge=0,
        description="Runs on one customer's target (host, account, mailbox) per hour, every "
        "requester together (0: none).",
    )
    rate_limit_action_per_minute: int = Field(
        120,
        ge=0,
        description="Circuit breaker: runs of one action per minute, all requesters (0: none).",
    )

    # --- issue 18: hardening (items 7, 8, 14) ---
    # Item 7: one requester's share of a target.
    rate_limit_target_requester_per_hour: int = Field(
        40,
        ge=0,
        description="Runs one requester may start on one target per hour (0: none); below "
        "rate_limit_target_per_hour, so one requester never uses a target up alone.",
    )
    # Item 14: denials audited without a flood; where a login form may come from.
    audit_denials_per_minute: int = Field(
        30,
        ge=1,
        le=10_000,
        description="Denial records (404 of another customer's object, 401, 403) per caller "
        "a minute; then one summary, and the rest are counted into the next record.",
    )
    public_origins: list[str] = Field(
        default_factory=list,
        description="Origins (scheme://host[:port]) the agents' browsers reach Fixline at; "
        "a login posted from another origin is refused (403). Empty: the request's own "
        "scheme and Host.",
    )
    # Item 8: whose X-Forwarded-For / X-Forwarded-Proto is believed.
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of the reverse proxies in front of Fixline; "
        "only a request from one of them may name its client in X-Forwarded-For (and its "
        "scheme in X-Forwarded-Proto). Empty: nobody; the peer address is the client.",
    )

    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Larger request bodies are refused with 413."
    )

    # --- scale-out: customer sites ---
    executor: Literal["local", "celery"] = Field(
        "local",
        description="local: this process runs every run (the embedded default). celery: runs "
        "of customers whose site is not in local_sites go to that site's queue, for "
        "`fixline worker --site NAME` inside the customer's network.",
    )
    broker_url: str = Field(
        "redis://127.0.0.1:6379/0", description="Celery broker (Redis) of the site queues."
    )
    queue_prefix: str = Field(
        "fixline",
        pattern=r"^[A-Za-z0-9_.-]{1,40}$",
        description="Site queues are named <prefix>.site.<site>; one prefix per installation.",
    )
    local_sites: list[str] = Field(
        default_factory=lambda: ["local"],
        description="Sites whose runs this process executes itself when executor=celery.",
    )
    site_republish_s: float = Field(
        30.0,
        gt=0,
        description="Publish a site run again when no worker claimed it after this long (a "
        "broker restart may have lost the message; a second copy is never run twice).",
    )
    site_queue_timeout_s: int = Field(
        900,
        ge=10,
        description="A site run no worker claimed within this long fails, with the reason.",
    )
    api_url: str = Field(
        "http://127.0.0.1:8000",
        description="Worker side: the Fixline API a site worker reports to (outbound only).",
    )
    worker_token: SecretStr | None = Field(
        None, description="Worker side: API token of role worker (or use worker_token_file)."
    )
    worker_token_file: Path | None = Field(
        None, description="Worker side: file holding the worker's API token (first line)."
    )
    worker_ca_file: Path | None = Field(
        None, description="Worker side: CA bundle that verifies the API's TLS certificate."
    )

    # --- webhooks and tickets ---
    webhook_sources_file: Path | None = Field(
        None,
        description="YAML of webhook sources and their mapping rules (validated at start); "
        "default project_dir/webhooks.yml, or no sources when it is absent.",
    )
    webhook_secrets: dict[str, list[SecretStr]] = Field(
        default_factory=dict,
        description="Source -> its HMAC secrets (JSON); two during a rotation, both accepted.",
    )
    webhook_tolerance_s: int = Field(
        300, ge=1, le=3600, description="Refuse webhooks whose timestamp is further off."
    )
    rt_url: str | None = Field(
        None, description="Request Tracker base URL (REST 2 lives under /REST/2.0)."
    )
    rt_token: SecretStr | None = Field(None, description="RT auth token for write-back.")
    ticket_link_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s]*\{ticket_id\}[^\s]*$",
        description="Where the page links a run's ticket: a URL with {ticket_id} "
        "(https://tickets.example/browse/{ticket_id}). Unset: RT's ticket page when "
        "FIXLINE_RT_URL is set (numeric ticket ids only); else no link.",
    )
    ticket_timeout_s: float = Field(10.0, gt=0, le=120, description="Per write-back call.")
    ticket_max_attempts: int = Field(
        12, ge=1, le=100, description="Then a ticket update is failed (shown to admins)."
    )
    ticket_backoff_s: float = Field(
        5.0, gt=0, description="Wait after the first failed write-back; doubles each time."
    )
    monitoring_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where `fixline nagios-event` sends its signed event (this service).",
    )
    monitoring_spool_dir: Path | None = Field(
        None,
        description="Where `fixline nagios-event` keeps events Fixline could not take, until "
        "a later event or `fixline nagios-spool` delivers them; default data_dir/monitoring-spool.",
    )
    monitoring_flap_window_s: int = Field(
        900,
        ge=0,
        le=86400,
        description="A service CRITICAL again this soon after its remediated incident closed "
        "gets a ticket but no second remediation (0: always remediate).",
    )
    nagios_command_file: Path | None = Field(
        None,
        description="Nagios's external command file: after a remediation Fixline adds a "
        "comment to the service there (unset: off).",
    )
    webhook_sweep_s: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="How often accepted webhook deliveries whose run has not started are "
        "looked for (besides right after each one): those a stopped process left behind.",
    )

    bootstrap_token: SecretStr | None = Field(
        None,
        description="Break-glass admin bearer token. Kept in the store as its SHA-256 like "
        "every token (named 'bootstrap', acting for the person 'operator:bootstrap'); it "
        "expires bootstrap_token_ttl_s after it is first seen, an admin may revoke it, and a "
        "new value replaces the last. Prefer `fixline tokens create` for anything lasting.",
    )
    bootstrap_token_ttl_s: int = Field(
        86_400,
        ge=60,
        le=30 * 86_400,
        description="How long the bootstrap token works after it is first seen.",
    )

    # --- agent login ---
    login_ldap_url: str | None = Field(
        None,
        description="The helpdesk's own directory (ldaps://, or ldap:// for StartTLS) where "
        "agents log in; unset turns agent login off.",
    )
    login_tls_name: str | None = Field(
        None, description="Name the directory's certificate must carry; default the URL's host."
    )
    login_base_dn: str = Field(
        "", description="Subtree holding the agents and Fixline's groups (nothing outside it)."
    )
    login_ca_file: Path | None = Field(
        None, description="PEM file of the CA that issued the login directory's certificate."
    )
    login_bind_dn: str | None = Field(
        None, description="Read-only account that looks agents up and re-reads their groups."
    )
    login_bind_password: SecretStr | None = Field(
        None, description="Password of login_bind_dn (or use login_bind_password_file)."
    )
    login_bind_password_file: Path | None = Field(
        None, description="File holding the password of login_bind_dn (first line)."
    )
    login_timeout_s: float = Field(
        5.0, gt=0, le=60, description="Connect and answer timeout of each login directory call."
    )
    login_role_groups: dict[str, str] = Field(
        default_factory=lambda: {
            "agent": "Fixline-Agents",
            "senior_agent": "Fixline-Senior-Agents",
            "admin": "Fixline-Admins",
            "auditor": "Fixline-Auditors",
        },
        description="Role (agent, senior_agent, admin, auditor) -> directory group granting it "
        "(sAMAccountName; nested membership counts).",
    )
    login_customer_group_prefix: str = Field(
        "Fixline-Customer-",
        min_length=1,
        description="Groups named <prefix><customer> give agents and senior agents that "
        "customer; admins and auditors see every customer.",
    )
    login_role_ttl_s: int = Field(
        300, ge=1, le=900, description="Re-read a session's groups when older than this."
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed logins per username within login_failure_window_s before 429; "
        "keep it below the directory's lockout threshold.",
    )
    login_max_failures_per_address: int = Field(
        20, ge=1, description="Failed logins per client address within the window before 429."
    )
    login_failure_window_s: int = Field(
        300, ge=1, description="Window over which failed logins are counted."
    )
    session_idle_timeout_s: int = Field(
        1800, ge=1, description="A web session unused for this long ends."
    )
    session_absolute_timeout_s: int = Field(
        36000, ge=1, description="A web session ends this long after login, used or not."
    )
    session_cookie_secure: bool = Field(
        True, description="Send the session cookie over HTTPS only (off only for plain-HTTP demos)."
    )

    @field_validator("bootstrap_token")
    @classmethod
    def _long_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("bootstrap_token must be at least 16 characters")
        return value

    @model_validator(mode="after")
    def _target_share_below_target(self) -> Settings:
        share, total = self.rate_limit_target_requester_per_hour, self.rate_limit_target_per_hour
        if share and total and share >= total:
            raise ValueError(
                f"rate_limit_target_requester_per_hour ({share}) must be below "
                f"rate_limit_target_per_hour ({total}), or one requester could use a target "
                "up alone; lower it, or set it to 0 to count every requester together only"
            )
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies takes IP addresses or networks (CIDR), not {entry!r}; "
                    "trusting every peer would let any caller pick its own address"
                ) from None
        return value

    @field_validator("login_role_groups")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - {"agent", "senior_agent", "admin", "auditor"})
        if unknown:
            raise ValueError(f"login_role_groups names unknown roles {unknown}")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fixline.db').resolve()}"

    @property
    def resolved_work_dir(self) -> Path:
        return (self.work_dir or self.data_dir / "work").resolve()

    @property
    def resolved_credentials_dir(self) -> Path:
        return (self.credentials_dir or self.data_dir / "credentials").resolve()

    @property
    def resolved_secret_key_file(self) -> Path:
        return (self.secret_key_file or self.data_dir / "secret.key").resolve()

    @property
    def resolved_audit_key_file(self) -> Path:
        return (self.audit_key_file or self.data_dir / "audit-signing.key").resolve()

    @property
    def resolved_lab_dir(self) -> Path:
        return (self.lab_dir or self.data_dir / "lab").resolve()

    @property
    def resolved_webhook_sources_file(self) -> Path:
        return (self.webhook_sources_file or self.project_dir / "webhooks.yml").resolve()

    @property
    def resolved_monitoring_spool_dir(self) -> Path:
        return (self.monitoring_spool_dir or self.data_dir / "monitoring-spool").resolve()

    @property
    def resolved_inventories_dir(self) -> Path:
        return self.inventories_dir or self.project_dir / "inventories"
