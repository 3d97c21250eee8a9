"""Streamed exports of audit records: JSON lines or CSV, in seq order, in batches."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from runner_api.audit.models import AuditRecord
from runner_api.database import Database
from runner_api.reports.evidence import record_dict
from runner_api.reports.queries import RecordFilter, search_records

_BATCH = 5000
COLUMNS = [
    "seq", "ts", "type", "actor", "customer", "ticket_id", "run_id", "action", "target",
    "outcome", "data", "version", "prev_hash", "hash",
]  # fmt: skip


def _batches(db: Database, filters: RecordFilter) -> Iterator[list[AuditRecord]]:
    after = 0
    while True:
        with db.session() as session:
            rows = search_records(session, filters, after, _BATCH)
        if not rows:
            return
        yield rows
        after = rows[-1].seq


def export_jsonl(db: Database, filters: RecordFilter) -> Iterator[str]:
    """One JSON object per line, data as JSON, hashes included."""
    for rows in _batches(db, filters):
        yield "".join(
            json.dumps(record_dict(r), ensure_ascii=False, sort_keys=True) + "\n" for r in rows
        )


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet must not run a field as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def export_csv(db: Database, filters: RecordFilter) -> Iterator[str]:
    """A header line, then one row per record (data as its canonical JSON text)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    yield out.getvalue()
    for rows in _batches(db, filters):
        out = io.StringIO()
        writer = csv.writer(out)
        for record in rows:
            writer.writerow([_cell(getattr(record, column)) for column in COLUMNS])
        yield out.getvalue()
