"""Prepared statements on SQLite and PostgreSQL: the same rows as Connection.execute writes
and reads, the engine's listeners and errors, and no row values in an error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, event, insert, select
from sqlalchemy.exc import IntegrityError

from runner_api.database import Database
from runner_api.prepared import Prepared
from runner_api.runs import statements
from runner_api.runs.models import Run
from runner_api.runs.status import RunStatus
from tests.runs.factories import make_run

CANARY = "canary-value-4f1e9b"


def _insert(database: Database, run: Run) -> None:
    with database.connection() as connection:
        statements.INSERT_RUN.execute(connection, statements.insert_values(run))


def test_a_prepared_insert_reads_back_as_an_orm_insert_does(database: Database) -> None:
    """Types convert both ways as SQLAlchemy's own execution does (JSON, booleans, UTC)."""
    by_orm, by_prepared = make_run(1), make_run(2)
    for run in (by_orm, by_prepared):
        run.params = {"account": "u1", "nested": {"list": [1, "two", None]}}
        run.details = {"unicode": "Müller ✓"}
        run.check_mode = True
        run.created_at = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    with database.session() as session:
        session.add(by_orm)
    _insert(database, by_prepared)
    with database.session() as session:
        orm_row, prepared_row = (session.get(Run, r.id) for r in (by_orm, by_prepared))
        assert orm_row is not None and prepared_row is not None
        for name in ("params", "details", "check_mode", "created_at", "status", "timeout_s"):
            assert getattr(prepared_row, name) == getattr(orm_row, name), name
        assert prepared_row.created_at.tzinfo is not None


def test_returning_gives_the_row_converted(database: Database) -> None:
    run = make_run(3)
    _insert(database, run)
    started = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    with database.connection() as connection:
        moved = statements.move_run(connection, run.id, RunStatus.RUNNING, {"started_at": started})
    assert moved is not None
    assert moved.status == RunStatus.RUNNING and moved.started_at == started
    assert moved.params == run.params and isinstance(moved.check_mode, bool)
    with database.connection() as connection:  # not a status it may move from: no row
        assert statements.move_run(connection, run.id, RunStatus.QUEUED, {}) is None


def test_execute_many_writes_every_row_and_nothing_for_none(database: Database) -> None:
    runs = [make_run(n) for n in range(10, 14)]
    with database.connection() as connection:
        statements.INSERT_RUN.execute_many(
            connection, [statements.insert_values(run) for run in runs]
        )
        statements.INSERT_RUN.execute_many(connection, [])
    with database.session() as session:
        found = set(session.scalars(select(Run.id).where(Run.id.in_([r.id for r in runs]))))
    assert found == {run.id for run in runs}


def test_it_joins_the_callers_transaction(database: Database) -> None:
    """A rollback takes a prepared write back with the rest of the transaction."""
    run = make_run(20)

    def insert_then_fail() -> None:
        with database.connection() as connection:
            statements.INSERT_RUN.execute(connection, statements.insert_values(run))
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with database.session() as session:
        assert session.get(Run, run.id) is None


def test_driver_errors_come_as_sqlalchemys_without_the_values(database: Database) -> None:
    run = make_run(21)
    run.summary = CANARY
    _insert(database, run)
    with pytest.raises(IntegrityError) as raised, database.connection() as connection:
        statements.INSERT_RUN.execute(connection, statements.insert_values(run))  # same id
    assert CANARY not in str(raised.value) and CANARY not in repr(raised.value)


def test_engine_listeners_see_prepared_statements(database: Database) -> None:
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(database.engine, "before_cursor_execute", listen)
    try:
        _insert(database, make_run(22))
    finally:
        event.remove(database.engine, "before_cursor_execute", listen)
    assert seen == ["INSERT"]


def test_a_column_name_the_paramstyle_must_escape(database: Database) -> None:
    """A bind named after a column such as "a.b" appears escaped in the SQL (a_b)."""
    odd = Table("odd_names", MetaData(), Column("a.b", String(8)), Column("c", String(8)))
    with database.connection() as connection:
        odd.create(connection)
        Prepared(insert(odd), ["a.b", "c"]).execute(connection, {"a.b": "x", "c": "y"})
        assert connection.execute(select(odd)).all() == [("x", "y")]
        odd.drop(connection)
