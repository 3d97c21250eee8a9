"""Alembic environment: runs on the connection handed over by Database.upgrade()."""

from __future__ import annotations

from alembic import context

from runner_api.database import Base
from runner_api.runs import models as _run_models  # noqa: F401  (registers the tables)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
