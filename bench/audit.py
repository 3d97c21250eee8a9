"""Audit log figures: append throughput, verify time over 1,000,000 records, run queries by
ticket_id over 1,000,000 runs (SQLite). Run: `.venv/bin/python bench/audit.py`.

Targets (issue 4): verify of 1,000,000 records under 10 s; query p95 under 20 ms.
"""

# ruff: noqa: S311  (seeded generators make the data; nothing here is a secret)

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from runner_api import __version__
from runner_api.audit.canonical import GENESIS, canonical_json, canonical_record, chain_hash
from runner_api.audit.log import AuditLog
from runner_api.audit.signing import load_or_create_signer
from runner_api.audit.sink import AuditEvent
from runner_api.audit.verify import verify_chain
from runner_api.database import Database
from runner_api.reports.queries import RunQuery, search_runs

_INSERT = (
    "INSERT INTO audit_records (seq, ts, type, actor, customer, ticket_id, run_id, action, "
    "target, outcome, data, version, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def _event(n: int) -> AuditEvent:
    return AuditEvent(
        type="run.requested",
        actor=f"agent{n % 50}",
        customer=f"cust{n % 20}",
        ticket_id=f"INC-{n // 5}",
        run_id=str(uuid.uuid4()),
        action="unlock_account",
        target=f"user{n}",
        outcome="queued",
        data={"channel": "api", "params": {"account": f"user{n}"}, "check_mode": False},
    )


def bench_append(db: Database, key: Path, count: int) -> None:
    audit = AuditLog(db, load_or_create_signer(key))
    started = time.perf_counter()
    for n in range(count):
        audit.append(_event(n))
    own = time.perf_counter() - started
    started = time.perf_counter()
    with db.session() as session:
        for n in range(count):
            audit.record(session, _event(n))
    batched = time.perf_counter() - started
    print(f"append, one transaction (commit + fsync) each: {count / own:10,.0f} records/s")
    print(f"append, {count} records in one transaction:   {count / batched:10,.0f} records/s")


def generate_records(db: Database, count: int) -> None:
    """Bulk-insert a valid chain computed here (the append-only triggers stay in place)."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    raw = db.engine.raw_connection()
    cursor = raw.cursor()
    prev, batch = GENESIS, []
    for seq in range(1, count + 1):
        ts = (base + timedelta(milliseconds=seq)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        data = canonical_json({"channel": "api", "params": {"account": f"user{seq}"}})
        row = (seq, ts, "run.requested", f"agent{seq % 50}", f"cust{seq % 20}",
               f"INC-{seq // 5}", f"run-{seq}", "unlock_account", f"user{seq}", "queued",
               data, __version__)  # fmt: skip
        digest = chain_hash(prev, canonical_record(*row))
        batch.append((*row, prev, digest))
        prev = digest
        if len(batch) == 50_000:
            cursor.executemany(_INSERT, batch)
            batch = []
    if batch:
        cursor.executemany(_INSERT, batch)
    cursor.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (count, prev))
    raw.commit()
    raw.close()


def generate_runs(db: Database, count: int) -> int:
    """Bulk-insert runs, about ten per ticket; returns the number of tickets."""
    tickets = max(1, count // 10)
    base = datetime(2026, 1, 1)
    raw = db.engine.raw_connection()
    cursor = raw.cursor()
    sql = (
        "INSERT INTO runs (id, customer, ticket_id, action, target, params, check_mode, "
        "requested_by, channel, status, changed, summary, diff, error, details, versions, "
        "timeout_s, cancel_requested, worker, heartbeat_at, created_at, started_at, "
        "finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    rng = random.Random(1)
    batch = []
    for n in range(count):
        created = base + timedelta(seconds=n)
        stamp = created.strftime("%Y-%m-%d %H:%M:%S.%f")
        done = (created + timedelta(seconds=rng.randint(1, 600))).strftime("%Y-%m-%d %H:%M:%S.%f")
        batch.append(
            (str(uuid.UUID(int=rng.getrandbits(128))), f"cust{n % 20}",
             f"INC-{rng.randrange(tickets)}", "unlock_account", f"user{n}",
             json.dumps({"account": f"user{n}"}), 0, f"agent{n % 50}", "api", "succeeded", 1,
             "done", None, None, "{}", "{}", 900, 0, None, None, stamp, stamp, done)
        )  # fmt: skip
        if len(batch) == 50_000:
            cursor.executemany(sql, batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)
    raw.commit()
    raw.close()
    return tickets


def bench_queries(db: Database, tickets: int, queries: int) -> tuple[float, float]:
    rng = random.Random(2)
    took = []
    for _ in range(queries):
        ticket = f"INC-{rng.randrange(tickets)}"
        started = time.perf_counter()
        with db.session() as session:
            search_runs(session, RunQuery(ticket_id=ticket), 50, None)
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return statistics.median(took), took[int(len(took) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        db = Database(f"sqlite:///{root / 'bench.db'}")
        db.upgrade()
        key = root / "audit-signing.key"
        print("== audit log bench (SQLite, WAL, synchronous=FULL) ==")
        bench_append(db, key, args.appends)
        db.dispose()

        db = Database(f"sqlite:///{root / 'verify.db'}")
        db.upgrade()
        started = time.perf_counter()
        generate_records(db, args.records)
        print(
            f"generated {args.records:,} chained records in {time.perf_counter() - started:.1f} s"
        )
        verifier = load_or_create_signer(key).verifier
        with db.engine.connect() as connection:
            report = verify_chain(connection, verifier)
        assert report.ok, report.problems[:3]
        assert report.records == args.records
        print(f"verify {report.records:,} records: {report.elapsed_s:.2f} s "
              f"({report.records / report.elapsed_s:,.0f} records/s; target < 10 s)")  # fmt: skip
        with db.engine.connect() as connection:
            connection.execute(text("DELETE FROM runs"))
        started = time.perf_counter()
        tickets = generate_runs(db, args.runs)
        print(f"generated {args.runs:,} runs over {tickets:,} tickets in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        p50, p95 = bench_queries(db, tickets, args.queries)
        print(f"runs by ticket_id over {args.runs:,} runs ({args.queries} queries): "
              f"p50 {p50:.2f} ms, p95 {p95:.2f} ms (target p95 < 20 ms)")  # fmt: skip
        db.dispose()


if __name__ == "__main__":
    main()
