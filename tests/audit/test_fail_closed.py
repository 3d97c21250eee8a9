"""Fail closed: when the audit record cannot be written, the run is neither created nor
dispatched."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from runner_api.audit.errors import AuditUnavailableError
from runner_api.audit.log import AuditLog
from runner_api.catalog.registry import Catalog
from runner_api.catalog.vetting import VettingLock
from runner_api.customers.registry import CustomerRegistry
from runner_api.database import Database
from runner_api.errors import ConfigurationError
from runner_api.runs.models import Run
from runner_api.runs.schemas import Channel
from runner_api.runs.service import Job, RunRequest, RunService
from runner_api.runs.store import RunStore
from tests.runs.factories import ACCOUNT_ACTION


class RecordingDispatcher:
    """Our own bookkeeping double: which jobs were handed over."""

    def __init__(self) -> None:
        self.submitted: list[Job] = []

    def submit(self, job: Job) -> None:
        self.submitted.append(job)

    def cancel(self, run_id: str) -> None:
        return None


def _break_audit_inserts(database: Database) -> None:
    """Make the audit table refuse INSERT, as a full or read-only audit store would."""
    with database.session() as session:
        if database.engine.dialect.name == "postgresql":
            session.execute(
                text(
                    "CREATE FUNCTION audit_full() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'audit store full'; END $$"
                )
            )
            session.execute(
                text(
                    "CREATE TRIGGER audit_full BEFORE INSERT ON audit_records "
                    "FOR EACH ROW EXECUTE FUNCTION audit_full()"
                )
            )
        else:
            session.execute(
                text(
                    "CREATE TRIGGER audit_full BEFORE INSERT ON audit_records "
                    "BEGIN SELECT RAISE(ABORT, 'audit store full'); END"
                )
            )


@pytest.mark.parametrize("account_group", ["VPN-Users", "Domain Admins"])  # queued, refused
def test_no_audit_record_no_run(
    database: Database, audit: AuditLog, tmp_path: Path, account_group: str
) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "fixline.yml").write_text("allowlists: {groups: [VPN-Users]}\n")
    dispatcher = RecordingDispatcher()
    service = RunService(
        RunStore(database, audit),
        Catalog([ACCOUNT_ACTION]),
        CustomerRegistry(tmp_path),
        VettingLock(tmp_path),
        dispatcher,
        "me:1:1",
        900,
    )
    request = RunRequest(
        "acme", "INC-9", "account_touch", {"account": "bob", "group": account_group},
        "alice", Channel.API, "test:alice",
    )  # fmt: skip
    _break_audit_inserts(database)
    with pytest.raises(AuditUnavailableError) as raised:
        service.start_run(request)
    assert isinstance(raised.value, ConfigurationError)  # answered 503 by the API
    assert dispatcher.submitted == []
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 0
        assert session.execute(text("SELECT seq FROM audit_head")).scalar() == 0
