"""Engine, sessions and migrations. SQLite (WAL, synchronous=FULL) or PostgreSQL by URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from runner_api.migration_head import MIGRATIONS_DIR, newest_revision
from runner_api.private_files import DIR_MODE, private_file, tighten


class Base(DeclarativeBase):
    """Declarative base of every table."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while a worker writes; FULL makes a commit survive power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# Past this wait, a writer goes on without its turn (SQLite's own busy handler then decides,
# as before): a turn can never hang a request.
_TURN_WAIT_S = 10.0


class _WriterTurns:
    """SQLite admits one writer at a time; this gives this process's writers turns.

    Without it, concurrent writers meet SQLite's busy handler, which sleeps in steps of up
    to 100 ms and wakes nobody when the writer ends: under concurrent requests the slowest
    ones waited most of a second for a lock that was free most of that time. A connection
    takes the turn at its first write statement and gives it back once its commit or
    rollback is done (a pool reset is a rollback too), so reads never wait and a turn lasts
    one transaction. Writers of other processes (the CLI) still meet the busy handler.
    """

    def __init__(self) -> None:
        # A plain Lock: a pool reset may run in another thread than the one that wrote.
        self._lock = threading.Lock()
        self._holder: int | None = None  # id() of the DBAPI connection holding the turn

    def install(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_execute)
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection: Any) -> None:
            try:
                commit(dbapi_connection)
            finally:
                self._give_back(dbapi_connection)

        def do_rollback(dbapi_connection: Any) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                self._give_back(dbapi_connection)

        dialect.do_commit = do_commit  # type: ignore[method-assign]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    def _before_execute(self, _conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
        raw = id(cursor.connection)
        if self._holder == raw or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        if self._lock.acquire(timeout=_TURN_WAIT_S):
            self._holder = raw

    def _give_back(self, dbapi_connection: Any) -> None:
        # The pool hands its connection proxy; statements saw the raw connection.
        raw = id(getattr(dbapi_connection, "dbapi_connection", dbapi_connection))
        if self._holder == raw:
            self._holder = None
            self._lock.release()


def make_engine(url: str) -> Engine:
    """An engine for the URL, with SQLite tuned for a multi-threaded service."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            _private_sqlite_files(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        _WriterTurns().install(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _private_sqlite_files(path: Path) -> None:
    """The database file 0600 before SQLite opens it: SQLite creates the WAL and shared
    memory files with the database file's mode, so they are 0600 as well."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + suffix))


class Database:
    """Owns the engine and hands out sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core connection in a transaction committed on success, rolled back on error."""
        # For hot-path writes that need no ORM objects: less than half the cost of a session.
        with self.engine.begin() as connection:
            yield connection

    def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to revision."""
        # A store already at head needs nothing, and Alembic (with Mako and Pygments) takes
        # about 0.2 s to import: more than a `fixline runs` may spend before its first line.
        if revision == "head" and self._stored_revision() == newest_revision():
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def _stored_revision(self) -> str | None:
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            versions = connection.execute(text("SELECT version_num FROM alembic_version"))
            stored = [str(version) for version in versions.scalars()]
        return stored[0] if len(stored) == 1 else None

    def dispose(self) -> None:
        self.engine.dispose()
