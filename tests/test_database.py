"""Database.upgrade: the migrations run when the store is behind, and Alembic is not even
imported when it is at head (the CLI's read commands start faster for it)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from runner_api.database import Database
from runner_api.migration_head import MIGRATIONS_DIR, newest_revision


def test_the_newest_revision_read_from_the_scripts_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert newest_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_store_behind_is_migrated_and_one_at_head_is_left_alone(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(database_url)
    try:
        db.upgrade("0013")
        db.upgrade()
        assert db._stored_revision() == newest_revision()

        def refuse(*_: object) -> None:
            raise AssertionError("a store at head was migrated again")

        monkeypatch.setattr(command, "upgrade", refuse)
        db.upgrade()
    finally:
        db.dispose()
