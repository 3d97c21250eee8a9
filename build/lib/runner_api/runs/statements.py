"""The statements on every run's way, compiled once and run on the driver's cursor.

Building an ORM statement for each move of each run, and loading its result through
the ORM, cost several times the database's own work; so did Core's execution context
around each statement (both measured with bench/directory.py). These are Core
statements with bound parameters, run through `Prepared`: SQLAlchemy's SQL and type
conversions for the dialect in use, portable between SQLite and PostgreSQL.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    delete,
    insert,
    literal_column,
    or_,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

from runner_api.database import Base
from runner_api.prepared import Prepared
from runner_api.runs.models import Run, RunEvent, TargetLock
from runner_api.runs.status import ALLOWED_FROM, RunStatus
from runner_api.types import utcnow

RUNS = cast(Table, Run.__table__)
_RUN_CLASS = sa_inspect(Run).class_manager
_LOCKS = cast(Table, TargetLock.__table__)
# What event_values gives (the id is the database's).
EVENT_COLUMNS = ("run_id", "seq", "created_at", "kind", "task", "host", "message", "data")

INSERT_RUN = Prepared(insert(RUNS), [column.key for column in RUNS.c])
INSERT_EVENTS = Prepared(insert(cast(Table, RunEvent.__table__)), EVENT_COLUMNS)
TAKE_TARGET = Prepared(insert(_LOCKS), ("target", "run_id", "acquired_at"))
FREE_TARGET = Prepared(delete(_LOCKS).where(_LOCKS.c.run_id == bindparam("run_id")))
SET_DETAILS = Prepared(
    update(RUNS).where(RUNS.c.id == bindparam("run_id")).values(details=bindparam("new_details"))
)


def move_run(
    connection: Connection, run_id: str, to: RunStatus, fields: Mapping[str, Any]
) -> Run | None:
    """Move the run to `to`, setting `fields` (an end also frees its target; a start or an
    end wipes its sealed job); the run as moved, or None when its status does not allow
    the move."""
    values = {"status": to.value, **fields}
    if to.terminal:
        values.setdefault("finished_at", utcnow())
    if to.terminal or to is RunStatus.RUNNING:
        # A started or ended run is never started again: its sealed job goes in this UPDATE.
        values["sealed_job"] = None
    params = {f"new_{name}": value for name, value in values.items()}
    # RETURNING: the run as updated comes back with the UPDATE itself, one statement
    # instead of an UPDATE, a SELECT and a refresh.
    row = _move(to, tuple(values)).first(connection, {"run_id": run_id, **params})
    if row is None:
        return None
    if to.terminal:
        FREE_TARGET.execute(connection, {"run_id": run_id})
    return _detached_run(row)


def _detached_run(row: Mapping[str, Any]) -> Run:
    """The run as its columns were returned: loaded the way the ORM loads a row (its values
    straight into the instance), not through the constructor's per-attribute events, which
    cost more than the UPDATE. Not attached to any session: read it, never add it to one."""
    run: Run = _RUN_CLASS.new_instance()
    run.__dict__.update(row)
    return run


@functools.cache
def _move(to: RunStatus, columns: tuple[str, ...]) -> Prepared:
    """UPDATE runs SET `columns` (bound as new_<column>) WHERE id = :run_id AND status is one
    `to` may follow, RETURNING the whole run; one statement per move and set of columns.

    The statuses are our own constants, written into the statement: an expanding IN
    parameter made SQLAlchemy rewrite the SQL text on every execution."""
    allowed = sorted(status.value for status in ALLOWED_FROM[to])
    return Prepared(
        update(RUNS)
        .where(
            RUNS.c.id == bindparam("run_id"),
            or_(*(RUNS.c.status == literal_column(f"'{value}'") for value in allowed)),
        )
        .values({RUNS.c[name]: bindparam(f"new_{name}") for name in columns})
        .returning(*RUNS.c)
    )


def event_values(event: RunEvent) -> dict[str, Any]:
    """The columns of a run event, as INSERT_EVENTS writes them."""
    return {
        "run_id": event.run_id,
        "seq": event.seq,
        "created_at": event.created_at,
        "kind": event.kind,
        "task": event.task,
        "host": event.host,
        "message": event.message if event.message is not None else "",
        "data": event.data if event.data is not None else {},
    }


def insert_values(run: Run) -> dict[str, Any]:
    """The columns of a new run; unset ones get their defaults, on the run as well."""
    return _column_values(run)


def insert_rows(connection: Connection, rows: Sequence[Base]) -> None:
    """INSERT rows other features add to a run's end (notices, follow-ups, write-back) with
    Core, one statement per table: the ORM's unit of work cost more than the inserts."""
    by_table: dict[Table, list[dict[str, Any]]] = {}
    for row in rows:
        by_table.setdefault(_columns_of(type(row)).table, []).append(_column_values(row))
    for table, values in by_table.items():
        _insert_into(table, tuple(values[0])).execute_many(connection, values)


@functools.cache
def _insert_into(table: Table, columns: tuple[str, ...]) -> Prepared:
    # _column_values gives every mapped column of the table: one statement per table.
    return Prepared(insert(table), columns)


@dataclass(frozen=True)
class _Columns:
    """What inserting a mapped class takes: its table, and per column (attribute, column
    key, Python-side default or None)."""

    table: Table
    plan: tuple[tuple[str, str, Callable[[], Any] | None], ...]


@functools.cache
def _columns_of(cls: type[Base]) -> _Columns:
    # Read from the mapper once per class: walking it for every row was measurable.
    mapper = sa_inspect(cls)
    plan: list[tuple[str, str, Callable[[], Any] | None]] = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        plan.append((prop.key, column.key, _default_maker(column.default)))
    return _Columns(cast(Table, mapper.local_table), tuple(plan))


def _default_maker(default: object) -> Callable[[], Any] | None:
    if isinstance(default, CallableColumnDefault):
        make = default.arg
        return lambda: make(None)  # type: ignore[arg-type]
    if isinstance(default, ScalarElementColumnDefault):
        value = default.arg
        return lambda: value
    return None


def _column_values(row: Base) -> dict[str, Any]:
    # As the ORM would insert them: unset columns take their (Python-side) defaults, set on
    # the object too. Runs and the end's rows have no server defaults or relationships.
    # Read from the instance's __dict__: the ORM's attribute access cost more than the rest.
    loaded = row.__dict__
    values: dict[str, Any] = {}
    for key, column_key, make in _columns_of(type(row)).plan:
        if key in loaded:
            values[column_key] = loaded[key]
        elif make is not None:
            value = make()
            setattr(row, key, value)
            values[column_key] = value
        else:
            values[column_key] = None
    return values
