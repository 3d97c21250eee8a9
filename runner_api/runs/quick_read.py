"""Runs read with the database's own driver, for the CLI's start-up.

`fixline runs` and `fixline show` print a few rows. Through RunStore they would first import
SQLAlchemy, the ORM models and the audit sink: about a third of a second, most of such a
command's time. Here the same rows come through sqlite3 or psycopg, on a read-only
connection. Only a store at the newest migration is read this way: `open_reader` answers
None for anything else (no store yet, an older one, another kind of URL, a server that does
not answer) and the caller goes through RunStore, which migrates the store and reports
errors as it always did. The rows look to the CLI as the ORM's objects do: columns as
attributes, JSON parsed, moments aware and in UTC (runner_api/types.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

from runner_api.errors import RunNotFoundError
from runner_api.migration_head import newest_revision
from runner_api.runs.filters import RunFilter

if TYPE_CHECKING:
    import psycopg


class RunView(Protocol):
    """A run as a listing line shows it (RunRead takes the rest from the same object)."""

    id: str
    created_at: datetime
    status: str
    ticket_id: str
    customer: str
    action: str
    target: str


class EventView(Protocol):
    """An event as the CLI prints it (cli/runs.py: event_line)."""

    seq: int
    kind: str
    host: str | None
    message: str


class RunReader(Protocol):
    """What `fixline runs` and `show` read: RunStore does it, and so does QuickReader."""

    def search(
        self, filters: RunFilter, limit: int, cursor: tuple[datetime, str] | None
    ) -> Sequence[RunView]: ...

    def get(self, run_id: str) -> RunView: ...

    def events(self, run_id: str, after_seq: int = 0, limit: int = 1000) -> Sequence[EventView]: ...


class Row:
    """One row, its columns as attributes (as an ORM object has them)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


def _utc(moment: datetime) -> datetime:
    # As UTCDateTime reads it: SQLite keeps UTC without a zone, PostgreSQL answers in its own.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class _Connection(Protocol):
    """One database's read-only connection; SQL is written with `?` for each value."""

    def rows(self, sql: str, values: Sequence[Any], table: str) -> list[Row]: ...

    def moment(self, value: datetime) -> Any: ...

    def close(self) -> None: ...


class _Sqlite:
    """A SQLite file opened read-only: nothing written, not even a journal mode."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=10)
        self._declared: dict[str, dict[str, str]] = {}

    def rows(self, sql: str, values: Sequence[Any], table: str) -> list[Row]:
        cursor = self._db.execute(sql, values)
        names = [column[0] for column in cursor.description]
        types = self._types(table)
        return [
            Row({n: _sqlite_value(types.get(n, ""), v) for n, v in zip(names, row, strict=True)})
            for row in cursor
        ]

    def _types(self, table: str) -> dict[str, str]:
        """Each column's declared type, as SQLAlchemy wrote it (JSON, BOOLEAN, DATETIME)."""
        if table not in self._declared:
            info = self._db.execute(f"PRAGMA table_info({table})").fetchall()
            self._declared[table] = {row[1]: str(row[2]).upper() for row in info}
        return self._declared[table]

    def moment(self, value: datetime) -> str:
        # The text SQLAlchemy stores (and compares): UTC, no zone, always microseconds.
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def close(self) -> None:
        self._db.close()


def _sqlite_value(declared: str, value: Any) -> Any:
    """A SQLite value as SQLAlchemy's type of its column reads it."""
    if value is None:
        return None
    if declared == "JSON":
        return json.loads(value)
    if declared == "BOOLEAN":
        return bool(value)
    if declared == "DATETIME":
        return _utc(datetime.fromisoformat(value))
    return value


class _Postgres:
    """A PostgreSQL connection whose transactions are read-only."""

    def __init__(self, conninfo: str) -> None:
        import psycopg
        from psycopg.rows import dict_row

        self._db: psycopg.Connection[dict[str, Any]] = psycopg.connect(
            conninfo, row_factory=dict_row
        )
        self._db.read_only = True

    def rows(self, sql: str, values: Sequence[Any], table: str) -> list[Row]:
        found = self._db.execute(sql.replace("?", "%s"), values).fetchall()
        # psycopg parses JSON and booleans itself; moments come in the server's time zone.
        return [
            Row({n: _utc(v) if isinstance(v, datetime) else v for n, v in row.items()})
            for row in found
        ]

    def moment(self, value: datetime) -> datetime:
        return value

    def close(self) -> None:
        self._db.close()


def open_reader(url: str) -> QuickReader | None:
    """A reader of the store at `url` when this module reads its kind and it is at the
    newest migration, else None (the caller then opens RunStore, which migrates)."""
    scheme, _, rest = url.partition("://")
    if scheme in ("postgresql", "postgresql+psycopg"):
        import psycopg

        # SQLAlchemy hands the URL's query (options, sslmode, ...) to libpq, as this does.
        return _at_head(lambda: _Postgres(f"postgresql://{rest}"), psycopg.Error)
    if scheme == "sqlite" and rest.startswith("/") and "?" not in rest:
        path = Path(unquote(rest[1:]))  # unquoted, as SQLAlchemy reads the path
        return _at_head(lambda: _Sqlite(path), sqlite3.Error) if path.is_file() else None
    return None


def _at_head(connect: Callable[[], _Connection], errors: type[Exception]) -> QuickReader | None:
    """A reader when the store is at the newest migration; None when it is not, or when the
    database does not answer (RunStore then migrates it, or reports the error itself)."""
    head = newest_revision()
    try:
        connection = connect()
    except errors:
        return None
    try:
        stored = connection.rows("SELECT version_num FROM alembic_version", (), "alembic_version")
    except errors:
        stored = []
    if head is not None and [row.version_num for row in stored] == [head]:
        return QuickReader(connection)
    connection.close()
    return None


class QuickReader:
    """RunStore's reads for the CLI, without SQLAlchemy; the same rows, never a write."""

    def __init__(self, connection: _Connection) -> None:
        self._db = connection

    def search(
        self, filters: RunFilter, limit: int, cursor: tuple[datetime, str] | None = None
    ) -> list[Row]:
        """Runs newest first, filtered as RunStore.search filters them."""
        where: list[str] = []
        values: list[Any] = []
        # These filters are named for their columns, and each means equality.
        for column in ("ticket_id", "customer", "action", "requested_by", "status"):
            if (value := getattr(filters, column)) is not None:
                where.append(f"{column} = ?")
                values.append(str(value))
        if filters.ticket_prefix:
            where.append("substr(ticket_id, 1, ?) = ?")
            values += [len(filters.ticket_prefix), filters.ticket_prefix]
        if filters.within is not None:
            if not filters.within:
                return []
            where.append(f"customer IN ({', '.join('?' * len(filters.within))})")
            values += sorted(filters.within)
        if filters.since is not None:
            where.append("created_at >= ?")
            values.append(self._db.moment(filters.since))
        if cursor is not None:
            where.append("(created_at < ? OR (created_at = ? AND id < ?))")
            values += [self._db.moment(cursor[0]), self._db.moment(cursor[0]), cursor[1]]
        sql = "SELECT * FROM runs" + (f" WHERE {' AND '.join(where)}" if where else "")  # noqa: S608
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        return self._db.rows(sql, [*values, limit], "runs")

    def get(self, run_id: str) -> Row:
        found = self._db.rows("SELECT * FROM runs WHERE id = ?", [run_id], "runs")
        if not found:
            raise RunNotFoundError(f"no run with id {run_id!r}", run_id=run_id)
        return found[0]

    def events(self, run_id: str, after_seq: int = 0, limit: int = 1000) -> list[Row]:
        sql = "SELECT * FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?"
        return self._db.rows(sql, [run_id, after_seq, limit], "run_events")

    def close(self) -> None:
        self._db.close()
