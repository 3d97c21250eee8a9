"""The admins' view of an outbox: newest rows first, optionally of one status."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from runner_api.database import Base, Database

Row = TypeVar("Row", bound=Base)


def newest(db: Database, model: type[Row], status: str | None, limit: int) -> list[Row]:
    """Rows of an outbox table, newest first."""
    columns: Any = model.__table__.c
    query = select(model)
    if status is not None:
        query = query.where(columns.status == status)
    query = query.order_by(columns.created_at.desc(), columns.id).limit(limit)
    with db.session() as session:
        return list(session.scalars(query))
