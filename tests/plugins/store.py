"""Store fixtures: every store test runs on a SQLite file and on the PostgreSQL server."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from lab.postgres import private_schema
from runner_api.database import Database

POSTGRES_URL = os.environ.get(
    "FIXLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The PostgreSQL server the tests use; fails (never skips) when it does not answer."""
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc.orig}). Start it "
            "(pg_ctlcluster <version> main start) or point FIXLINE_TEST_POSTGRES_URL at one."
        )
    finally:
        engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def postgres_schema_url(postgres_admin_url: str) -> Iterator[str]:
    """A private, empty schema on the PostgreSQL server (dropped afterwards)."""
    with private_schema(postgres_admin_url, "t") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL: a SQLite file, then a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fixline.db'}"
    else:
        with private_schema(request.getfixturevalue("postgres_admin_url"), "t") as url:
            yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated store."""
    db = Database(database_url)
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture(scope="session", autouse=True)
def migrated_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A new SQLite store in this process starts as a copy of one migrated once per session.

    Running every Alembic migration costs about 0.3 s a store, and hundreds of tests make a
    store of their own. A partial upgrade, PostgreSQL and a store that already has tables
    still run the migrations themselves, so the migrations stay tested on both databases.
    """
    template = tmp_path_factory.mktemp("template") / "migrated.db"
    migrate = Database.upgrade
    seed = Database(f"sqlite:///{template}")
    migrate(seed)
    seed.dispose()

    def upgrade(db: Database, revision: str = "head") -> None:
        if revision != "head" or make_url(db.url).get_backend_name() != "sqlite":
            migrate(db, revision)
            return
        raw = db.engine.raw_connection()
        try:
            target = raw.driver_connection
            assert isinstance(target, sqlite3.Connection)
            if target.execute("SELECT count(*) FROM sqlite_master").fetchone() != (0,):
                migrate(db, revision)
                return
            with sqlite3.connect(template) as source:
                source.backup(target)
        finally:
            raw.close()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Database, "upgrade", upgrade)
        yield
