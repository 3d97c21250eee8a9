"""The registry of sealed columns: every column holding values sealed with the service key.

Features own their tables and seal with their own associated data; each exposes its
sealed columns as `SealedColumn`s and `core.sealed_columns()` lists them (secrets/ imports
no feature). Key rotation re-seals every row of every listed column: a column missing here
would keep the old key and never open again, so a test compares this list with every
binary column of the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.orm import InstrumentedAttribute


@dataclass(frozen=True)
class SealedColumn:
    """A column of sealed values and the associated data each of its rows is bound to."""

    column: InstrumentedAttribute[Any]
    # The associated data of a row (the mapped object), exactly as its feature seals it.
    context: Callable[[Any], str]
    # The attribute naming the key that sealed the row (a key id), updated with it; or None.
    key_id: str | None = None

    @property
    def name(self) -> str:
        """`table.column`, as messages and the audit record name it."""
        return f"{self.column.class_.__tablename__}.{self.column.key}"

    @property
    def model(self) -> type[Any]:
        """The mapped class whose rows hold the column."""
        return cast(type[Any], self.column.class_)
