"""Stores over the `database` fixture (SQLite file, then PostgreSQL), with a real audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner_api.audit.log import AuditLog
from runner_api.audit.signing import load_or_create_signer
from runner_api.database import Database
from runner_api.secrets.keys import SecretKey, new_key, verify_key
from runner_api.secrets.store import EncryptedCredentialSource


@pytest.fixture
def key(database: Database) -> SecretKey:
    the_key = new_key("test")
    verify_key(database, the_key)
    return the_key


@pytest.fixture
def audit(database: Database, tmp_path: Path) -> AuditLog:
    return AuditLog(database, load_or_create_signer(tmp_path / "audit.key"))


@pytest.fixture
def store(database: Database, key: SecretKey, audit: AuditLog) -> EncryptedCredentialSource:
    return EncryptedCredentialSource(database, key, audit=audit)
