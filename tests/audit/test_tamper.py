"""Tamper suite: random modifications, deletions, insertions, reorders and truncations on a
copy of a store (triggers dropped on the copy): every one detected, naming the right record.

Each mutation runs in a transaction of the copy that is rolled back afterwards, so one copy
serves them all; the verifier reads through the same connection.
"""

# ruff: noqa: S608, S311  (tests build their own tampering SQL; the seed is for replay)

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text

from runner_api.audit.canonical import canonical_record, chain_hash
from runner_api.audit.log import AuditLog, Checkpoint
from runner_api.audit.signing import CheckpointSigner
from runner_api.audit.verify import verify_chain
from runner_api.database import Database
from tests.audit.conftest import fill

RECORDS, MUTATIONS = 2000, 1000
_FIELDS = ["ts", "type", "actor", "customer", "ticket_id", "run_id", "action", "target",
           "outcome", "data", "version", "prev_hash", "hash"]  # fmt: skip
_COLS = "seq, ts, type, actor, customer, ticket_id, run_id, action, target, outcome, data, " \
    "version, prev_hash, hash"  # fmt: skip


def _row(connection: Connection, seq: int) -> dict[str, object]:
    row = connection.execute(text(f"SELECT {_COLS} FROM audit_records WHERE seq = :s"), {"s": seq})
    return dict(row.one()._mapping)


def _put(connection: Connection, values: dict[str, object]) -> None:
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    connection.execute(text(f"INSERT INTO audit_records ({names}) VALUES ({marks})"), values)


def _shift(connection: Connection, from_seq: int, by: int, total: int) -> None:
    """Renumber seq >= from_seq by `by` (through a negative detour: seq is the key)."""
    connection.execute(
        text("UPDATE audit_records SET seq = -(seq + :by) WHERE seq >= :f"),
        {"by": by, "f": from_seq},
    )
    connection.execute(text("UPDATE audit_records SET seq = -seq WHERE seq < 0"))


def _modify(connection: Connection, rng: random.Random, total: int) -> int:
    seq = rng.randint(1, total)
    field = rng.choice(_FIELDS)
    value = _row(connection, seq)[field]
    if field == "data":
        new: object = '{"n":-1}'
    elif field in ("prev_hash", "hash"):
        new = f"{rng.getrandbits(256):064x}"
    else:  # same length (the columns have limits on PostgreSQL), one character off
        text_value = str(value or "")
        new = text_value[:-1] + ("y" if text_value.endswith("x") else "x")
    connection.execute(text(f"UPDATE audit_records SET {field} = :v WHERE seq = :s"),
                       {"v": new, "s": seq})  # fmt: skip
    return seq


def _delete(connection: Connection, rng: random.Random, total: int) -> int:
    seq = rng.randint(1, total - 1)
    connection.execute(text("DELETE FROM audit_records WHERE seq = :s"), {"s": seq})
    if rng.random() < 0.5:  # close the gap too
        _shift(connection, seq + 1, -1, total)
    return seq


def _insert(connection: Connection, rng: random.Random, total: int) -> int:
    """A forged record slipped in at seq k with a correct hash; later records move up."""
    seq = rng.randint(2, total)
    before = _row(connection, seq - 1)
    _shift(connection, seq, 1, total)
    forged = {**before, "seq": seq, "actor": "mallory", "prev_hash": before["hash"]}
    forged["hash"] = chain_hash(
        str(before["hash"]),
        canonical_record(*[forged[k] for k in ["seq", *_FIELDS[:11]]]),  # type: ignore[arg-type]
    )
    _put(connection, forged)
    return seq


def _reorder(connection: Connection, rng: random.Random, total: int) -> int:
    first = rng.randint(1, total - 1)
    second = rng.choice([first + 1, rng.randint(first + 1, total)])
    connection.execute(text("UPDATE audit_records SET seq = -1 WHERE seq = :a"), {"a": first})
    connection.execute(text("UPDATE audit_records SET seq = :a WHERE seq = :b"),
                       {"a": first, "b": second})  # fmt: skip
    connection.execute(text("UPDATE audit_records SET seq = :b WHERE seq = -1"), {"b": second})
    return first


def _truncate(connection: Connection, rng: random.Random, total: int) -> int:
    """Drop the tail past a checkpoint and make the head agree."""
    seq = rng.randint(2, total - 60)
    connection.execute(text("DELETE FROM audit_records WHERE seq >= :s"), {"s": seq})
    last = _row(connection, seq - 1)
    connection.execute(text("UPDATE audit_head SET seq = :s, hash = :h"),
                       {"s": seq - 1, "h": last["hash"]})  # fmt: skip
    if rng.random() < 0.5:  # and the checkpoints stored beside them
        connection.execute(text("DELETE FROM audit_checkpoints WHERE seq >= :s"), {"s": seq})
    return seq


MUTATORS = [_modify, _delete, _insert, _reorder, _truncate]


def _tamperable_copy(database: Database, tmp_path: Path) -> str:
    source = database.url.split("///", 1)[1]
    copy = tmp_path / "copy.db"
    database.dispose()
    shutil.copy(source, copy)
    engine = create_engine(f"sqlite:///{copy}")
    with engine.begin() as connection:
        for (name,) in connection.execute(
            text("SELECT name FROM sqlite_master WHERE type='trigger'")
        ):
            connection.execute(text(f"DROP TRIGGER {name}"))
    engine.dispose()
    return f"sqlite:///{copy}"


def _run_suite(url: str, signer: CheckpointSigner, external: list[Checkpoint], count: int,
               seed: int) -> dict[str, int]:  # fmt: skip
    rng = random.Random(seed)
    engine = create_engine(url)
    seen: dict[str, int] = {}
    with engine.connect() as connection:
        assert verify_chain(connection, signer.verifier, external).ok
        connection.rollback()
        for _ in range(count):
            mutate = rng.choice(MUTATORS)
            transaction = connection.begin()
            expected = mutate(connection, rng, RECORDS)
            report = verify_chain(connection, signer.verifier, external)
            transaction.rollback()
            assert not report.ok, f"{mutate.__name__} at {expected} went unnoticed"
            assert report.first_bad_seq == expected, (mutate.__name__, expected, report.problems)
            seen[mutate.__name__] = seen.get(mutate.__name__, 0) + 1
        assert verify_chain(connection, signer.verifier, external).ok
    engine.dispose()
    return seen


@pytest.mark.slow  # 1,000 mutations of a 2,000-record chain: about 30 s
def test_every_random_tampering_is_detected_and_named(
    database: Database, audit: AuditLog, signer: CheckpointSigner, tmp_path: Path
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the 1,000-mutation run uses a SQLite copy; PostgreSQL runs the short one")
    fill(audit, RECORDS)
    external = audit.checkpoints()
    seen = _run_suite(_tamperable_copy(database, tmp_path), signer, external, MUTATIONS, 4)
    assert sum(seen.values()) == MUTATIONS and len(seen) == len(MUTATORS)
    print(f"tamper suite: {MUTATIONS} mutations, 100% detected and named: {seen}")


def test_tampering_on_postgresql(
    database: Database, audit: AuditLog, signer: CheckpointSigner
) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("the SQLite run is above")
    fill(audit, RECORDS)
    external = audit.checkpoints()
    with database.engine.begin() as connection:
        for table in ("audit_records", "audit_checkpoints"):
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    seen = _run_suite(database.url, signer, external, 150, 7)
    assert len(seen) == len(MUTATORS)


def test_a_consistent_rewrite_is_caught_by_external_checkpoints(
    database: Database, audit: AuditLog, signer: CheckpointSigner, tmp_path: Path
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("one database is enough for this scenario")
    fill(audit, 400)  # checkpoints at 50, 100, ... 400
    external = audit.checkpoints()
    engine = create_engine(_tamperable_copy(database, tmp_path))
    with engine.begin() as connection:
        # A superuser rewrites record 130 and re-hashes everything after it, head and stored
        # checkpoints included (deleted: the key is not in the database to re-sign them).
        prev = _row(connection, 129)["hash"]
        for seq in range(130, 401):
            row = _row(connection, seq)
            if seq == 130:
                row["actor"] = "mallory"
            row["prev_hash"] = prev
            row["hash"] = prev = chain_hash(
                str(prev),
                canonical_record(*[row[k] for k in ["seq", *_FIELDS[:11]]]),  # type: ignore[arg-type]
            )
            connection.execute(text("DELETE FROM audit_records WHERE seq = :s"), {"s": seq})
            _put(connection, row)
        connection.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})
        connection.execute(text("DELETE FROM audit_checkpoints WHERE seq > 100"))
        internal = verify_chain(connection, signer.verifier)
        assert internal.ok, "internally consistent: only an outside copy can tell"
        report = verify_chain(connection, signer.verifier, external)
    engine.dispose()
    assert not report.ok
    assert report.first_bad_seq == 101  # after the last checkpoint that still matches
    assert {p.kind for p in report.problems} == {"rewritten"}
    assert report.last_checkpoint_covered == 100
