"""The chain on SQLite and PostgreSQL: canonical encoding, gapless seq, checkpoints and their
private key, control characters neutralized."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from sqlalchemy import select

from runner_api.audit.canonical import GENESIS, canonical_json, canonical_record, chain_hash
from runner_api.audit.log import AuditLog
from runner_api.audit.models import AuditRecord
from runner_api.audit.signing import CheckpointSigner, load_or_create_signer
from runner_api.audit.verify import verify_chain
from runner_api.database import Database
from tests.audit.conftest import event, fill


def _records(database: Database) -> list[AuditRecord]:
    with database.session() as session:
        return list(session.scalars(select(AuditRecord).order_by(AuditRecord.seq)))


def test_canonical_encoding_is_sorted_compact_utf8_json() -> None:
    record = {
        "seq": 7, "ts": "2026-11-28T10:00:00.000001Z", "type": "run.requested",
        "actor": "ana", "customer": "acme", "ticket_id": "INC-1", "run_id": None,
        "action": "unlock", "target": "bob", "outcome": "queued", "version": "0.1.0",
        "data": {"b": [1, "ü"], "a": None},
    }  # fmt: skip
    fast = canonical_record(
        7, record["ts"], "run.requested", "ana", "acme", "INC-1", None, "unlock", "bob",  # type: ignore[arg-type]
        "queued", canonical_json(record["data"]), "0.1.0",
    )  # fmt: skip
    assert fast == canonical_json(record).encode("utf-8")
    assert fast.startswith(b'{"action":"unlock","actor":"ana","customer":"acme","data":{"a"')
    assert "ü".encode() in fast and b" " not in fast


def test_appends_are_gapless_chained_and_verify(database: Database, audit: AuditLog) -> None:
    fill(audit, 120)
    assert audit.append(event(999)) == 121
    rows = _records(database)
    assert [r.seq for r in rows] == list(range(1, 122))
    prev = GENESIS
    for row in rows:
        assert row.prev_hash == prev
        assert row.ts.endswith("Z") and len(row.ts) == 27
        prev = row.hash
    assert rows[0].hash == chain_hash(
        GENESIS,
        canonical_record(
            1, rows[0].ts, rows[0].type, rows[0].actor, rows[0].customer, rows[0].ticket_id,
            rows[0].run_id, rows[0].action, rows[0].target, rows[0].outcome, rows[0].data,
            rows[0].version,
        ),
    )  # fmt: skip
    with database.engine.connect() as connection:
        report = verify_chain(connection, audit.signer.verifier)
    assert report.ok, report.problems
    assert (report.records, report.head_seq) == (121, 121)
    assert report.last_checkpoint_covered == 100  # every 50 records


def test_appends_on_a_plain_connection_chain_like_any(database: Database, audit: AuditLog) -> None:
    # The run spine's hot path records within a Core connection's transaction.
    fill(audit, 2)
    with database.connection() as connection:
        audit.record(connection, event(2))
        audit.record(connection, event(3))
    assert audit.append(event(4)) == 5
    assert [r.seq for r in _records(database)] == [1, 2, 3, 4, 5]
    with database.engine.connect() as connection:
        assert verify_chain(connection, audit.signer.verifier).ok


def test_several_records_in_one_call_chain_in_order(database: Database, audit: AuditLog) -> None:
    # One turn at the head for a run recorded requested and running at once; a checkpoint
    # falling due inside the batch signs its last record.
    fill(audit, 48)
    with database.connection() as connection:
        audit.record(connection, event(48), event(49), event(50))
    assert audit.append(event(51)) == 52
    rows = _records(database)
    assert [r.seq for r in rows] == list(range(1, 53))
    assert [json.loads(r.data)["n"] for r in rows[48:52]] == [48, 49, 50, 51]
    with database.engine.connect() as connection:
        report = verify_chain(connection, audit.signer.verifier)
    assert report.ok, report.problems
    assert report.last_checkpoint_covered == 51


def test_a_head_moved_by_another_writer_is_taken_again(database: Database, audit: AuditLog) -> None:
    """This writer's last append rolled back and another writer (another process: its own
    AuditLog) wrote the same seq with another record: the next append chains onto that
    record, never onto what this writer last computed."""
    fill(audit, 3)
    other = AuditLog(database, audit.signer, checkpoint_records=50)
    try:
        with database.session() as session:
            audit.record(session, event(3))  # seq 4, never committed
            raise RuntimeError("the caller's change failed")
    except RuntimeError:
        pass
    assert other.append(event(103)) == 4
    assert audit.append(event(4)) == 5
    assert other.append(event(105)) == 6
    rows = _records(database)
    assert [json.loads(r.data)["n"] for r in rows[3:]] == [103, 4, 105]
    with database.engine.connect() as connection:
        assert verify_chain(connection, audit.signer.verifier).ok


def test_a_rolled_back_transaction_takes_its_seq_back(database: Database, audit: AuditLog) -> None:
    fill(audit, 3)
    try:
        with database.session() as session:
            audit.record(session, event(3))
            raise RuntimeError("the caller's change failed")
    except RuntimeError:
        pass
    assert audit.append(event(4)) == 4
    with database.engine.connect() as connection:
        assert verify_chain(connection, audit.signer.verifier).ok


def test_checkpoints_sign_export_and_force(
    database: Database, audit: AuditLog, tmp_path: Path
) -> None:
    fill(audit, 60)
    assert [c.seq for c in audit.checkpoints()] == [50]
    forced = audit.checkpoint("manual")
    assert forced is not None and forced.seq == 60
    assert audit.checkpoint("shutdown", force=False) is None  # nothing new to sign
    assert audit.signer.verifier.valid(forced.seq, forced.hash, forced.ts, forced.signature)
    assert not audit.signer.verifier.valid(forced.seq + 1, forced.hash, forced.ts, forced.signature)
    out = tmp_path / "checkpoints.jsonl"
    with out.open("w") as handle:
        assert audit.export_checkpoints(handle) == 2
    lines = out.read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [50, 60]


def test_interval_checkpoint_after_m_seconds(database: Database, signer: CheckpointSigner) -> None:
    audit = AuditLog(database, signer, checkpoint_records=10_000, checkpoint_every_s=0.001)
    audit.append(event(1))
    audit.append(event(2))
    assert [c.seq for c in audit.checkpoints()] == [1, 2]


def test_key_file_is_private_and_reused(key_file: Path) -> None:
    first = load_or_create_signer(key_file)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert load_or_create_signer(key_file).key_id == first.key_id


def test_control_characters_and_ansi_are_neutralized(database: Database, audit: AuditLog) -> None:
    audit.append(
        event(
            1,
            actor="eve\nFAKE ENTRY",
            target="\x1b[2Jbob",
            data={"msg": "a\r\nb\x1b[31m", "k\n": "\u2028"},
        )
    )
    (row,) = _records(database)
    assert row.actor == "eve\\nFAKE ENTRY"
    assert row.target == "\\x1b[2Jbob"
    assert json.loads(row.data) == {"msg": "a\\r\\nb\\x1b[31m", "k\\n": "\\u2028"}
    for text in (row.actor, row.target, row.data):
        assert not any(ord(c) < 0x20 or c == "\x7f" for c in text)
