"""The canonical encoding of an audit record and the hash chain over it.

Canonical encoding (version 1) of record n: the UTF-8 bytes of a JSON object holding exactly
the keys action, actor, customer, data, outcome, run_id, seq, target, ticket_id, ts, type,
version; keys sorted, no whitespace (separators "," and ":"), non-ASCII kept as UTF-8
(`ensure_ascii=False`), absent values as null, `data` itself canonical the same way, `ts` as
the fixed-width UTC text `YYYY-MM-DDTHH:MM:SS.ffffffZ`. That is
`json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.

Chain: `hash_n = SHA-256(bytes(prev_hash_n) || canonical_n)` in lower-case hex, where
`prev_hash_1` is 64 zeros and `prev_hash_n = hash_{n-1}`; `seq` runs 1, 2, 3 ... without gaps.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# C0 and C1 controls, DEL and the Unicode line/paragraph separators: anything that could
# start a fake log line or drive a terminal (ANSI escapes begin with ESC, 0x1b).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def neutralize(text: str) -> str:
    """Text with control characters (newlines, ANSI escapes) written out as visible escapes."""
    return _CONTROL.sub(_escape, text)


def neutralize_value(value: Any) -> Any:
    """`neutralize` applied to every string (keys included) of a JSON-like value."""
    if isinstance(value, str):
        return neutralize(value)
    if isinstance(value, dict):
        return {neutralize(str(k)): neutralize_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [neutralize_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return neutralize(str(value))  # datetimes, UUIDs, enums: their text


def format_ts(moment: datetime) -> str:
    """The fixed-width UTC text of a timezone-aware moment."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the audit log")
    return moment.astimezone(UTC).strftime(TS_FORMAT)


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text (not ASCII-escaped)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# The C string encoder behind json.dumps(..., ensure_ascii=False): same escapes, no overhead.
_string: Callable[[str], str] = json.encoder.encode_basestring


def _text(value: str | None) -> str:
    return "null" if value is None else _string(value)


def canonical_record(
    seq: int,
    ts: str,
    type_: str,
    actor: str,
    customer: str | None,
    ticket_id: str | None,
    run_id: str | None,
    action: str | None,
    target: str | None,
    outcome: str | None,
    data_json: str,
    version: str,
) -> bytes:
    """Canonical bytes of one record; `data_json` is the stored canonical text of data.

    Written out field by field in sorted key order around the stored data text (no
    re-parsing), so that verifying a million records stays fast; the result equals
    canonical_json(record), which the tests check.
    """
    return (
        f'{{"action":{_text(action)},"actor":{_string(actor)},"customer":{_text(customer)},'
        f'"data":{data_json},"outcome":{_text(outcome)},"run_id":{_text(run_id)},'
        f'"seq":{int(seq)},"target":{_text(target)},"ticket_id":{_text(ticket_id)},'
        f'"ts":{_string(ts)},"type":{_string(type_)},"version":{_string(version)}}}'
    ).encode()


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    """SHA-256 over the previous hash (32 raw bytes) followed by the canonical bytes."""
    digest = hashlib.sha256(bytes.fromhex(prev_hash))
    digest.update(canonical)
    return digest.hexdigest()
