"""Types shared by the tables (portable between SQLite and PostgreSQL) and by the API's
inputs (moments in time)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime
from sqlalchemy import JSON, DateTime, Dialect, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB

JSONType = JSON().with_variant(JSONB(), "postgresql")
# The largest integer both SQLite and PostgreSQL (BIGINT) store: bound for id/seq inputs.
MAX_INT64 = 2**63 - 1


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps, also on SQLite (which stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


def _in_utc(value: datetime) -> datetime:
    # Near the ends of the calendar an offset can move a moment out of it (0001-01-01T00:00
    # +01:00 is in year 0 in UTC): refused here (422) instead of failing wherever it is used.
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the moment is outside the range of dates in UTC") from None


# A moment the API is given (a filter, an expiry): with a time zone, converted to UTC.
UtcMoment = Annotated[AwareDatetime, AfterValidator(_in_utc)]
