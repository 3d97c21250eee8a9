"""The CLI's quick reader (runs/quick_read.py) on SQLite and PostgreSQL: the same rows as
RunStore, column for column, for every filter; only a store at the newest migration; never
a write."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from runner_api.database import Database
from runner_api.errors import RunNotFoundError
from runner_api.runs.filters import RunFilter
from runner_api.runs.models import Run, RunEvent
from runner_api.runs.quick_read import QuickReader, open_reader
from runner_api.runs.status import RunStatus
from runner_api.runs.store import RunStore
from tests.runs.factories import fill_store

RUN_COLUMNS = list(Run.__table__.columns.keys())
EVENT_COLUMNS = list(RunEvent.__table__.columns.keys())


@pytest.fixture
def filled(database: Database) -> Iterator[tuple[RunStore, QuickReader, list[Run]]]:
    """A migrated store with runs and events, and a quick reader of it."""
    store = RunStore(database)
    runs = fill_store(store)
    reader = open_reader(database.url)
    assert reader is not None, "a store at the newest migration was not read directly"
    yield store, reader, runs
    reader.close()


def _columns(rows: Sequence[Any], names: list[str]) -> list[dict[str, Any]]:
    return [{name: getattr(row, name) for name in names} for row in rows]


def _filters(runs: list[Run]) -> list[RunFilter]:
    middle = runs[3].created_at
    return [
        RunFilter(),
        RunFilter(ticket_id="INC-1"),
        RunFilter(ticket_prefix="INC-10"),
        RunFilter(ticket_prefix="inc"),
        RunFilter(ticket_prefix=""),
        RunFilter(customer="beta"),
        RunFilter(customer="nobody"),
        RunFilter(action="vpn_grant"),
        RunFilter(status=RunStatus.SUCCEEDED),
        RunFilter(requested_by="ann"),
        RunFilter(within=frozenset({"acme"})),
        RunFilter(within=frozenset({"acme", "beta"})),
        RunFilter(within=frozenset()),
        RunFilter(since=middle),
        RunFilter(since=middle + timedelta(microseconds=1)),
        RunFilter(customer="acme", status=RunStatus.QUEUED, ticket_prefix="INC"),
    ]


def test_the_same_runs_as_the_store_for_every_filter(
    filled: tuple[RunStore, QuickReader, list[Run]],
) -> None:
    store, reader, runs = filled
    # The runs meet each filter: a prefix is case-sensitive, a shared moment orders by id.
    found = {f: len(reader.search(f, 500, None)) for f in _filters(runs)}
    assert found[RunFilter(ticket_prefix="INC-10")] == 2
    assert found[RunFilter(ticket_prefix="inc")] == 1
    assert found[RunFilter(requested_by="ann")] == found[RunFilter(customer="beta")] == 1
    assert found[RunFilter(within=frozenset())] == 0
    for filters in _filters(runs):
        for limit in (2, 500):
            want = _columns(store.search(filters, limit, None), RUN_COLUMNS)
            assert _columns(reader.search(filters, limit, None), RUN_COLUMNS) == want, filters


def test_pages_follow_the_cursor_as_the_store_does(
    filled: tuple[RunStore, QuickReader, list[Run]],
) -> None:
    store, reader, runs = filled
    cursor = None
    seen: list[str] = []
    while True:
        page = reader.search(RunFilter(), 2, cursor)
        assert _columns(page, RUN_COLUMNS) == _columns(
            store.search(RunFilter(), 2, cursor), RUN_COLUMNS
        )
        if not page:
            break
        seen += [run.id for run in page]
        cursor = (page[-1].created_at, page[-1].id)
    assert sorted(seen) == sorted(run.id for run in runs)


def test_one_run_and_its_events_as_the_store_has_them(
    filled: tuple[RunStore, QuickReader, list[Run]],
) -> None:
    store, reader, runs = filled
    for run in runs:
        assert _columns([reader.get(run.id)], RUN_COLUMNS) == _columns(
            [store.get(run.id)], RUN_COLUMNS
        )
    events = reader.events(runs[4].id)
    assert len(events) == 4
    assert _columns(events, EVENT_COLUMNS) == _columns(store.events(runs[4].id), EVENT_COLUMNS)
    after = reader.events(runs[4].id, after_seq=1, limit=2)
    assert _columns(after, EVENT_COLUMNS) == _columns(
        store.events(runs[4].id, after_seq=1, limit=2), EVENT_COLUMNS
    )
    with pytest.raises(RunNotFoundError) as quick:
        reader.get("no-such-run")
    with pytest.raises(RunNotFoundError) as orm:
        store.get("no-such-run")
    assert (quick.value.message, quick.value.details) == (orm.value.message, orm.value.details)


def test_only_a_store_at_the_newest_migration_is_read(database_url: str) -> None:
    assert open_reader(database_url) is None, "no store yet"
    db = Database(database_url)
    try:
        db.upgrade("0014")
        assert open_reader(database_url) is None, "a store behind was read, not migrated"
        db.upgrade()
        reader = open_reader(database_url)
        assert reader is not None
        reader.close()
    finally:
        db.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "mysql://fixline@127.0.0.1/fixline",
        "postgresql+psycopg2://postgres@127.0.0.1:5432/test",
        # Nothing listens on port 1: RunStore then reports the error, as it always did.
        "postgresql+psycopg://postgres@127.0.0.1:1/test",
    ],
)
def test_other_urls_and_absent_servers_go_through_the_store(url: str) -> None:
    assert open_reader(url) is None


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "fixline.db"
    assert open_reader(f"sqlite:///{path}") is None
    assert not path.exists()


def test_reading_writes_nothing(filled: tuple[RunStore, QuickReader, list[Run]]) -> None:
    store, reader, runs = filled
    before = _fingerprint(store)
    reader.search(RunFilter(), 500, None)
    reader.get(runs[0].id)
    reader.events(runs[4].id)
    # The connection itself refuses a write: a read-only file, a read-only transaction.
    with pytest.raises(Exception, match=r"read-only|readonly"):
        reader._db.rows("DELETE FROM runs", (), "runs")
    reader.close()
    assert _fingerprint(store) == before


def _fingerprint(store: RunStore) -> str:
    rows = _columns(store.search(RunFilter(), 500, None), RUN_COLUMNS)
    return hashlib.sha256(repr(rows).encode()).hexdigest()
