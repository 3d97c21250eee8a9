"""The read side of the audit log for its API: searches, verification, evidence, exports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from runner_api.audit.log import AuditLog, Checkpoint
from runner_api.audit.models import AuditRecord
from runner_api.audit.signing import public_pem
from runner_api.audit.verify import VerifyReport, verify_chain
from runner_api.database import Database
from runner_api.reports.evidence import evidence_pack
from runner_api.reports.export import export_csv, export_jsonl
from runner_api.reports.queries import (
    RecordFilter,
    RunQuery,
    search_records,
    search_runs,
    sla_figures,
)
from runner_api.reports.schemas import SlaRead
from runner_api.runs.models import Run


@dataclass(frozen=True)
class AuditReader:
    """Reads only: nothing here writes to the store."""

    db: Database
    log: AuditLog

    def records(self, filters: RecordFilter, after_seq: int, limit: int) -> list[AuditRecord]:
        with self.db.session() as session:
            return list(search_records(session, filters, after_seq, limit))

    def runs(self, filters: RunQuery, limit: int, after: tuple[datetime, str] | None) -> list[Run]:
        with self.db.session() as session:
            return search_runs(session, filters, limit, after)

    def verify(self) -> VerifyReport:
        with self.db.engine.connect() as connection:
            return verify_chain(connection, self.log.signer.verifier)

    def evidence(self, ticket_id: str) -> dict[str, Any]:
        with self.db.session() as session:
            return evidence_pack(session, ticket_id, self.log.signer.verifier)

    def export(self, filters: RecordFilter, csv: bool) -> Iterator[str]:
        return export_csv(self.db, filters) if csv else export_jsonl(self.db, filters)

    def checkpoints(self, after_seq: int) -> list[Checkpoint]:
        return self.log.checkpoints(after_seq)

    def public_key(self) -> str:
        return public_pem(self.log.signer.verifier.public)

    def sla(self, since: datetime | None, until: datetime | None) -> list[SlaRead]:
        with self.db.session() as session:
            return sla_figures(session, since, until)
