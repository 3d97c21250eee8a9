"""Planted secrets and the searches that must not find them in a database dump."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse
from pathlib import Path

from sqlalchemy import inspect, text

from runner_api.database import Database

CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def canary(label: str) -> str:
    """A value that occurs nowhere by chance."""
    return f"Canary-{label}-{secrets.token_hex(8)}"


def private_key(secret: str) -> str:
    return f"-----BEGIN OPENSSH PRIVATE KEY-----\n{secret}\n-----END OPENSSH PRIVATE KEY-----\n"


def forms(value: str) -> list[str]:
    """The value raw, base64 (plain, URL-safe, unpadded), URL-encoded and JSON-escaped."""
    raw = value.encode()
    return [
        value,
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        json.dumps(value)[1:-1],
    ]


def dump(database: Database) -> str:
    """Everything the store holds: the SQLite file bytes (WAL included) or every
    PostgreSQL row of every table, as text."""
    if database.url.startswith("sqlite"):
        path = Path(database.url.split("///", 1)[1])
        files = [path, path.with_name(path.name + "-wal")]
        return "".join(f.read_bytes().decode("latin-1") for f in files if f.exists())
    parts = []
    with database.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            # Table names come from the catalog of the test's own schema.
            query = text(f'SELECT * FROM "{table}"')  # noqa: S608
            for row in connection.execute(query):
                for value in row:
                    raw = bytes(value) if isinstance(value, bytes | memoryview) else None
                    parts.append(raw.decode("latin-1") if raw is not None else str(value))
    return "\n".join(parts)


def assert_absent(haystack: str, *values: str) -> None:
    for value in values:
        for form in forms(value):
            assert form not in haystack, f"a planted secret is in the dump ({form[:12]}...)"
