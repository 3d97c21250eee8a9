"""Store fixtures: every store test runs on a SQLite file and on the PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
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
