"""OData query options the simulator takes: $select, $top, $skiptoken, $count, $filter, $search.

Only the forms the gateway uses exist: `$filter=<property> eq '<value>'` on listed properties
and `$search="<property>:<term>"` clauses joined by AND / OR. Anything else is refused with
Graph's 400 shape, so a call the simulator would answer wrongly fails loudly instead.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl, quote, urlencode

from lab.graph.errors import SEARCH_NEEDS_EVENTUAL, GraphError, bad_request, unsupported_query

T = TypeVar("T")
DEFAULT_PAGE = 100
MAX_PAGE = 999
_FILTER = re.compile(r"^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)
_SEARCH_TOKEN = re.compile(r'"([^"]*)"|\b(AND|OR)\b')
_WORD_BREAK = re.compile(r"[\s.@_\-]+")
# Kept readable in nextLinks, as Graph writes them.
_SAFE = "$'(),:"
KNOWN_OPTIONS = {"$select", "$top", "$skiptoken", "$count", "$filter", "$search"}


@dataclass(frozen=True)
class Rules:
    """What one collection accepts (Graph's type name for messages, and property sets)."""

    entity: str
    selectable: frozenset[str]
    filterable: frozenset[str] = frozenset()
    searchable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Query:
    params: dict[str, str]
    select: tuple[str, ...] | None
    top: int
    offset: int
    count: bool
    filter: tuple[str, str] | None
    # OR of AND-groups of (property, term) clauses.
    search: tuple[tuple[tuple[str, str], ...], ...] | None


def parse(raw: str, rules: Rules, eventual: bool) -> Query:
    """The query options of a request, checked against the collection's rules."""
    params = dict(parse_qsl(raw, keep_blank_values=True))
    for name in params:
        if name.startswith("$") and name.lower() not in KNOWN_OPTIONS:
            raise unsupported_query(f"Query option '{name}' is not supported by the simulator.")
    count = params.get("$count", "").lower() == "true"
    if count and not eventual:
        raise bad_request("$count is not currently supported.")
    search = _search(params["$search"], rules, eventual) if "$search" in params else None
    return Query(
        params=params,
        select=_select(params.get("$select"), rules),
        top=_top(params.get("$top")),
        offset=_offset(params.get("$skiptoken")),
        count=count,
        filter=_filter(params["$filter"], rules) if "$filter" in params else None,
        search=search,
    )


def select_only(raw: str, rules: Rules) -> tuple[str, ...] | None:
    """$select of a single-object GET (the only option it takes)."""
    return _select(dict(parse_qsl(raw)).get("$select"), rules)


def matches_search(query: Query, value_of: Callable[[str], str | None]) -> bool:
    """Whether an object matches $search: a term matches the start of any word of the value."""
    if query.search is None:
        return True
    return any(
        all(_term_matches(value_of(prop), term) for prop, term in group) for group in query.search
    )


def page(items: Sequence[T], query: Query) -> tuple[list[T], int | None]:
    """One page of items and the offset of the next page (None on the last one)."""
    end = query.offset + query.top
    return list(items[query.offset : end]), (end if end < len(items) else None)


def next_link(base: str, query: Query, offset: int) -> str:
    params = {k: v for k, v in query.params.items() if k != "$skiptoken"}
    params["$skiptoken"] = base64.urlsafe_b64encode(f"o={offset}".encode()).decode()
    return f"{base}?{urlencode(params, quote_via=quote, safe=_SAFE)}"


def _select(value: str | None, rules: Rules) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    for name in names:
        if name not in rules.selectable:
            raise GraphError(
                400,
                "BadRequest",
                f"Could not find a property named '{name}' on type "
                f"'microsoft.graph.{rules.entity}'.",
            )
    return names


def _top(value: str | None) -> int:
    if value is None:
        return DEFAULT_PAGE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise bad_request(
            f"Invalid page size specified: '{value}'. Must be between 1 and {MAX_PAGE} inclusive."
        )
    return int(value)


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.startswith("o=") or not text[2:].isdigit():
        raise bad_request("Invalid skip token.", "Directory_InvalidSkipToken")
    return int(text[2:])


def _filter(value: str, rules: Rules) -> tuple[str, str]:
    found = _FILTER.match(value)
    if found is None:
        raise unsupported_query("Unsupported Query.")
    prop = found.group(1)
    if prop not in rules.filterable:
        raise unsupported_query(
            f"Unsupported or invalid query filter clause specified for property '{prop}' of "
            f"resource '{rules.entity[0].upper()}{rules.entity[1:]}'."
        )
    return prop, found.group(2).replace("''", "'")


def _search(value: str, rules: Rules, eventual: bool) -> tuple[tuple[tuple[str, str], ...], ...]:
    if not eventual:
        raise unsupported_query(SEARCH_NEEDS_EVENTUAL)
    groups: list[list[tuple[str, str]]] = [[]]
    for quoted, operator in _SEARCH_TOKEN.findall(value):
        if operator == "OR":
            groups.append([])
            continue
        if operator:
            continue
        prop, colon, term = quoted.partition(":")
        if not colon or prop not in rules.searchable or not term:
            raise bad_request(f"Invalid $search clause: '{quoted}'.", "Request_UnsupportedQuery")
        groups[-1].append((prop, term))
    if not all(groups):
        raise bad_request("Syntax error in $search.", "Request_UnsupportedQuery")
    return tuple(tuple(group) for group in groups)


def _term_matches(value: str | None, term: str) -> bool:
    if not value:
        return False
    lowered, wanted = value.lower(), term.lower()
    return lowered.startswith(wanted) or any(
        word.startswith(wanted) for word in _WORD_BREAK.split(lowered)
    )
