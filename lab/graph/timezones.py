"""Time zones as Exchange Online takes them: Windows names (its default) or IANA names.

dateTimeTimeZone on the wire is a local wall-clock time without offset
("2030-03-20T18:00:00.0000000") and the zone it is read in. Exchange keeps automatic-reply
times in UTC and Graph answers them so (`"timeZone": "UTC"`): `to_utc` and `wire` convert.
The Windows names here are a subset of Windows' zone list (the ones the seed and tests use,
and their neighbours), each with the IANA zone Unicode CLDR maps it to.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

WINDOWS = {
    "UTC": "Etc/UTC",
    "Dateline Standard Time": "Etc/GMT+12",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Alaskan Standard Time": "America/Anchorage",
    "Pacific Standard Time": "America/Los_Angeles",
    "Mountain Standard Time": "America/Denver",
    "Central Standard Time": "America/Chicago",
    "Eastern Standard Time": "America/New_York",
    "Atlantic Standard Time": "America/Halifax",
    "E. South America Standard Time": "America/Sao_Paulo",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "FLE Standard Time": "Europe/Kiev",
    "GTB Standard Time": "Europe/Bucharest",
    "South Africa Standard Time": "Africa/Johannesburg",
    "Russian Standard Time": "Europe/Moscow",
    "Arabian Standard Time": "Asia/Dubai",
    "India Standard Time": "Asia/Calcutta",
    "Singapore Standard Time": "Asia/Singapore",
    "China Standard Time": "Asia/Shanghai",
    "Tokyo Standard Time": "Asia/Tokyo",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "New Zealand Standard Time": "Pacific/Auckland",
}
# Graph's wall-clock form: seconds and seven fractional digits, no offset.
_WIRE = "%Y-%m-%dT%H:%M:%S.0000000"
_LOCAL = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$"
)


def zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone a Windows or IANA name stands for; None when Exchange would not know it."""
    iana = WINDOWS.get(name)
    if iana is None and "/" in name:
        iana = name
    if iana is None:
        return None
    try:
        return zoneinfo.ZoneInfo(iana)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def to_utc(local: str, zone_name: str) -> dt.datetime | None:
    """A dateTimeTimeZone as a UTC instant; None when `local` is no date and time.

    The zone must be known (check with `zone` first). An explicit offset or Z in `local`
    wins over the zone, as a parser that reads ISO 8601 would let it.
    """
    found = _LOCAL.match(local.strip())
    tz = zone(zone_name)
    if found is None or tz is None:
        return None
    whole, fraction, offset = found.groups()
    try:
        moment = dt.datetime.fromisoformat(whole)
    except ValueError:
        return None
    if fraction:
        moment += dt.timedelta(microseconds=int(fraction.ljust(7, "0")[:6]))
    if offset:
        fixed = dt.UTC if offset == "Z" else dt.datetime.strptime(offset, "%z").tzinfo
        return moment.replace(tzinfo=fixed).astimezone(dt.UTC)
    return moment.replace(tzinfo=tz).astimezone(dt.UTC)


def wire(moment: dt.datetime) -> dict[str, object]:
    """A UTC instant as Graph's dateTimeTimeZone."""
    return {"dateTime": moment.astimezone(dt.UTC).strftime(_WIRE), "timeZone": "UTC"}
