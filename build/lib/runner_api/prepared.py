"""Statements on every run's way, run on the driver's cursor with SQLAlchemy's own SQL.

SQLAlchemy compiles each statement for the dialect in use (the SQL text, the order of
its parameters, the conversion of each value to and from the driver). Running it with
`Connection.execute` then still builds an execution context and a result object on every
call; on a directory fix that cost about as much as the database's own work for all the
records of the run (measured with bench/directory.py). `Prepared` keeps what the compiler
produced, once per dialect, and hands converted values straight to the driver's cursor,
inside the caller's transaction. SQLite and PostgreSQL stay in step because the SQL and
the conversions are still SQLAlchemy's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

_Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class _Bound:
    """One parameter of the compiled SQL: where its value comes from, how it converts."""

    name: str  # in the SQL
    key: str  # in the values a caller gives
    value: Any  # when the caller gives none: the statement's own (or _REQUIRED)
    convert: _Convert | None  # what SQLAlchemy applies before the driver sees it


_REQUIRED = object()


@dataclass(frozen=True)
class _ForDialect:
    """One statement as compiled for one dialect."""

    sql: str
    # In the order of the SQL for positional paramstyles (SQLite's "?"), else any order.
    bound: Sequence[_Bound]
    positional: bool
    # RETURNING columns: (key, conversion of the driver's value), in the order returned.
    returning: Sequence[tuple[str, _Convert | None]]


class Prepared:
    """A Core statement compiled once per dialect and executed on the raw DBAPI cursor.

    `columns`: the keys an INSERT or UPDATE is given (every call must give the same), as
    `Connection.execute` would infer them from its first parameters.
    """

    def __init__(self, statement: ClauseElement, columns: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.columns = list(columns) if columns is not None else None
        # By (dialect, driver): drivers of one database may differ in paramstyle.
        self._by_dialect: dict[tuple[str, str], _ForDialect] = {}
        self._lock = threading.Lock()

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> None:
        """Run it once with `values`."""
        self._run(connection, [values], fetch=False)

    def execute_many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run it once per row, in one driver call (executemany)."""
        if rows:
            self._run(connection, rows, fetch=False)

    def first(self, connection: Connection, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """Run it once; the first row it returns (RETURNING), converted, or None."""
        return self._run(connection, [values], fetch=True)

    def _run(
        self, connection: Connection, rows: Sequence[Mapping[str, Any]], *, fetch: bool
    ) -> dict[str, Any] | None:
        prepared = self._for(connection.dialect)
        params = [self._driver_values(prepared, row) for row in rows]
        many = len(params) > 1
        raw = connection.connection.dbapi_connection
        assert raw is not None, "Prepared needs a connection that is not invalidated"
        cursor = raw.cursor()
        try:
            # The engine's listeners still see the statement (SQLite's writer turns).
            connection.dispatch.before_cursor_execute(
                connection, cursor, prepared.sql, params if many else params[0], None, many
            )
            if many:
                cursor.executemany(prepared.sql, params)
                return None
            cursor.execute(prepared.sql, params[0])
            if not fetch:
                return None
            found = cursor.fetchone()
            if found is None:
                return None
            return {
                key: convert(value) if convert is not None else value
                for (key, convert), value in zip(prepared.returning, found, strict=True)
            }
        except connection.dialect.loaded_dbapi.Error as exc:
            raise self._translated(connection, raw, cursor, prepared.sql, exc) from exc
        finally:
            cursor.close()

    @staticmethod
    def _driver_values(prepared: _ForDialect, row: Mapping[str, Any]) -> Any:
        # What SQLCompiler.construct_params and the bind processors do, from a plan made
        # once: on every statement of every run, their general path was measurable.
        values: list[Any] = []
        for bound in prepared.bound:
            value = row.get(bound.key, bound.value)
            if value is _REQUIRED:
                raise KeyError(f"no value for the parameter {bound.key!r}")
            values.append(bound.convert(value) if bound.convert is not None else value)
        if prepared.positional:
            return tuple(values)
        return {bound.name: value for bound, value in zip(prepared.bound, values, strict=True)}

    @staticmethod
    def _translated(
        connection: Connection, raw: Any, cursor: Any, sql: str, exc: Any
    ) -> BaseException:
        """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError...),
        without the row's values; a lost connection is invalidated, as the engine would."""
        dialect = connection.dialect
        lost = dialect.is_disconnect(exc, raw, cursor)
        if lost:
            connection.invalidate(exc)
        translated: BaseException = DBAPIError.instance(
            sql,
            None,
            exc,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=dialect,
        )
        return translated

    def _for(self, dialect: Dialect) -> _ForDialect:
        key = (dialect.name, dialect.driver)
        found = self._by_dialect.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._by_dialect.get(key)
            if found is None:
                found = self._by_dialect[key] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _ForDialect:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.columns)
        assert isinstance(compiled, SQLCompiler), "Prepared takes SQL statements"
        by_name: dict[str, _Bound] = {}
        # A name the paramstyle cannot carry as it is appears escaped in the SQL.
        escaped = compiled.escaped_bind_names
        for bind, name in compiled.bind_names.items():
            if bind.expanding:
                raise ValueError("Prepared takes no expanding (IN) parameters")
            own = _REQUIRED if bind.required else bind.effective_value
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            in_sql = escaped.get(name, name)
            by_name[in_sql] = _Bound(in_sql, bind.key, own, convert)
        positional = bool(compiled.positional)
        if positional and compiled.positiontup:
            names = [escaped.get(name, name) for name in compiled.positiontup]
        else:
            names = list(by_name)
        # RETURNING of a text() statement needs its columns named: text(...).columns(...).
        returning: list[tuple[str, _Convert | None]] = []
        for column in getattr(self.statement, "exported_columns", ()):
            convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
            returning.append((column.key, convert))
        bound = [by_name[name] for name in names]
        return _ForDialect(compiled.string, bound, positional, returning)
