"""Where the migrations are, and the newest of them, read without importing Alembic or
SQLAlchemy: the CLI's read commands check a store is at head before their first line, and
those libraries take a third of a second to import."""

from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_REVISION = re.compile(r"""^(down_)?revision\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def newest_revision() -> str | None:
    """The one migration no other revises (None if there are several heads), read from the
    scripts' text."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for down, name in _REVISION.findall(script.read_text(encoding="utf-8")):
            (revised if down else revisions).add(name)
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None
