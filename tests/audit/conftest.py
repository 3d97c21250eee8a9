"""Audit fixtures: a signing key in a temp folder and an AuditLog on the migrated store."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner_api.audit.log import AuditLog
from runner_api.audit.signing import CheckpointSigner, load_or_create_signer
from runner_api.audit.sink import AuditEvent
from runner_api.database import Database


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "audit-signing.key"


@pytest.fixture
def signer(key_file: Path) -> CheckpointSigner:
    return load_or_create_signer(key_file)


@pytest.fixture
def audit(database: Database, signer: CheckpointSigner) -> AuditLog:
    return AuditLog(database, signer, checkpoint_records=50)


def event(n: int, **overrides: object) -> AuditEvent:
    values: dict[str, object] = {
        "type": "run.requested",
        "actor": f"agent{n % 7}",
        "customer": f"cust{n % 3}",
        "ticket_id": f"INC-{n % 40}",
        "run_id": f"run-{n}",
        "action": "unlock_account",
        "target": f"user{n}",
        "outcome": "queued",
        "data": {"n": n, "params": {"account": f"user{n}"}, "note": "é ✓"},
    }
    values.update(overrides)
    return AuditEvent(**values)  # type: ignore[arg-type]


def fill(audit: AuditLog, count: int, start: int = 0) -> None:
    """Append count records in one transaction (fast: one commit)."""
    with audit.db.session() as session:
        for n in range(start, start + count):
            audit.record(session, event(n))
