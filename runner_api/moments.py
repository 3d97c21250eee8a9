"""Moments in time as Fixline passes them around: always timezone-aware, in UTC.

Apart from the tables' column types (runner_api/types.py) so that what validates an API
input or an action's parameters does not import SQLAlchemy (the CLI's start-up time)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

# The largest integer both SQLite and PostgreSQL (BIGINT) store: bound for id/seq inputs.
MAX_INT64 = 2**63 - 1


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
