"""Private PostgreSQL schemas for tests and benches: one server, no run sees another's rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def private_schema(admin_url: str, prefix: str) -> Iterator[str]:
    """A store URL on a new, empty schema named `prefix`_<random>; dropped on exit."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # search_path in the URL: every connection of the store (and its migrations) lands
        # in this schema without any change to the store's code.
        yield f"{admin_url}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
