"""The one typed Settings object (env prefix FIXLINE_), injected into create_app()."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from runner_api.catalog.models import FIRST_LINE_TIMEOUT_S


def _default_project_dir() -> Path:
    # The playbooks/, roles/ and inventories/ folders sit beside the package in a checkout.
    beside_package = Path(__file__).resolve().parent.parent
    if (beside_package / "playbooks").is_dir():
        return beside_package
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
        description="Folder holding playbooks/, roles/, inventories/ and vetting.lock.json.",
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
    reveal_ttl_s: int = Field(300, ge=30, le=3600, description="Life of a one-time reveal.")
    secret_key_file: Path | None = Field(
        None, description="AES key for secrets at rest; default data_dir/secret.key (0600)."
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

    bootstrap_token: SecretStr | None = Field(
        None, description="Bearer token accepted for the API until per-user login exists."
    )
    bootstrap_user: str = "admin"

    @field_validator("bootstrap_token")
    @classmethod
    def _long_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("bootstrap_token must be at least 16 characters")
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
    def inventories_dir(self) -> Path:
        return self.project_dir / "inventories"
