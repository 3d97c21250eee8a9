"""The store itself refuses UPDATE, DELETE and TRUNCATE of the audit log, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from runner_api.audit.log import AuditLog
from runner_api.database import Database
from tests.audit.conftest import fill

_REFUSED = [
    "UPDATE audit_records SET actor = 'mallory' WHERE seq = 1",
    "UPDATE audit_records SET hash = prev_hash",
    "DELETE FROM audit_records WHERE seq = 2",
    "DELETE FROM audit_records",
    "UPDATE audit_checkpoints SET seq = 1",
    "DELETE FROM audit_checkpoints",
    "DELETE FROM audit_head",
]


@pytest.mark.parametrize("statement", _REFUSED)
def test_changes_are_refused(database: Database, audit: AuditLog, statement: str) -> None:
    fill(audit, 60)
    with pytest.raises(DBAPIError, match=r"append-only|cannot be deleted"), database.session() as s:
        s.execute(text(statement))
    with database.engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM audit_records")).scalar()
    assert count == 60


@pytest.mark.parametrize("table", ["audit_records", "audit_checkpoints", "audit_head"])
def test_truncate_is_refused_on_postgresql(database: Database, audit: AuditLog, table: str) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is covered above")
    fill(audit, 60)
    with pytest.raises(DBAPIError, match="append-only"), database.session() as session:
        session.execute(text(f"TRUNCATE {table}"))
