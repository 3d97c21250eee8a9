"""Store fixtures: every store test runs on a SQLite file and on the PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

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


def _postgres_schema_url(admin_url: str) -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{admin_url}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def postgres_schema_url(postgres_admin_url: str) -> Iterator[str]:
    """A private, empty schema on the PostgreSQL server (dropped afterwards)."""
    yield from _postgres_schema_url(postgres_admin_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL: a SQLite file, then a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fixline.db'}"
    else:
        yield from _postgres_schema_url(request.getfixturevalue("postgres_admin_url"))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated store."""
    db = Database(database_url)
    db.upgrade()
    yield db
    db.dispose()
