"""A small LDAP filter evaluator (RFC 4515) for the filters the product builds.

What it knows: & | ! (empty & and | too, RFC 4526), equality, presence (attr=*), substrings
(attr=ab*cd*), >= and <=, escaped values (\\2a ...), and the extensible matches of AD the
product uses: 1.2.840.113556.1.4.803 (bitwise AND), .804 (bitwise OR) and .1941 (in chain,
nested membership). Anything else (approximate match, :dn:, an unknown matching rule, an
attribute option, a malformed filter) raises FilterError: the fake never matches by guess.

Matching follows AD: attribute names and string values compare case-insensitively, DN values
on their parsed RDNs, integers as numbers, objectSid by its S-1-... text or its binary form,
and (objectCategory=person) by the category's short name.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.dn import parse_dn

BIT_AND = "1.2.840.113556.1.4.803"
BIT_OR = "1.2.840.113556.1.4.804"
IN_CHAIN = "1.2.840.113556.1.4.1941"
# Attributes of integer syntax among those the fakes keep.
INTEGER_ATTRIBUTES = frozenset(
    {
        "useraccountcontrol", "msds-user-account-control-computed", "admincount",
        "primarygroupid", "lockouttime", "pwdlastset", "grouptype", "lastlogon",
        "lastlogontimestamp", "badpwdcount", "samaccounttype", "instancetype",
    }
)  # fmt: skip
DN_ATTRIBUTES = frozenset({"distinguishedname", "memberof", "member", "manager"})
_HEX = frozenset("0123456789abcdefABCDEF")
_ATTRIBUTE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")


class FilterError(ValueError):
    """A filter this evaluator does not understand (or that is not a filter at all)."""


class Entry(Protocol):
    """What a filter is evaluated against: one directory entry."""

    def values(self, attribute: str) -> Sequence[str]:
        """The entry's values of an attribute (lower-case name), as text."""
        ...

    def in_chain(self, attribute: str, dn: str) -> bool:
        """LDAP_MATCHING_RULE_IN_CHAIN: `dn` is reached from this entry by following
        `attribute` (memberOf up, member down) any number of times."""
        ...


@dataclass(frozen=True)
class And:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    item: Filter


@dataclass(frozen=True)
class Present:
    attribute: str


@dataclass(frozen=True)
class Compare:
    """attribute = / >= / <= value (value unescaped, as bytes)."""

    attribute: str
    op: str
    value: bytes


@dataclass(frozen=True)
class Substrings:
    attribute: str
    initial: bytes
    middle: tuple[bytes, ...]
    final: bytes


@dataclass(frozen=True)
class Extensible:
    attribute: str
    rule: str
    value: bytes


Filter = And | Or | Not | Present | Compare | Substrings | Extensible


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> FilterError:
        return FilterError(f"{why} at position {self.pos} of {self.text!r}")

    def expect(self, char: str) -> None:
        if self.pos >= len(self.text) or self.text[self.pos] != char:
            raise self.fail(f"expected {char!r}")
        self.pos += 1

    def filter(self) -> Filter:
        self.expect("(")
        if self.pos >= len(self.text):
            raise self.fail("unexpected end")
        head = self.text[self.pos]
        found: Filter
        if head in "&|":
            self.pos += 1
            items = []
            while self.pos < len(self.text) and self.text[self.pos] == "(":
                items.append(self.filter())
            found = And(tuple(items)) if head == "&" else Or(tuple(items))
        elif head == "!":
            self.pos += 1
            found = Not(self.filter())
        else:
            found = self.item()
        self.expect(")")
        return found

    def attribute(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _ATTRIBUTE_CHARS:
            self.pos += 1
        name = self.text[start : self.pos]
        if not name:
            raise self.fail("expected an attribute name")
        if self.pos < len(self.text) and self.text[self.pos] == ";":
            raise self.fail("attribute options are not supported")
        return name.lower()

    def item(self) -> Filter:
        attribute = self.attribute()
        rest = self.text[self.pos :]
        if rest.startswith(":"):
            return self.extensible(attribute)
        for op in (">=", "<=", "~=", "="):
            if rest.startswith(op):
                self.pos += len(op)
                break
        else:
            raise self.fail("expected a comparison")
        if op == "~=":
            raise self.fail("approximate matching is not supported")
        pieces = self.value(allow_star=op == "=")
        if op != "=":
            return Compare(attribute, op, pieces[0])
        if len(pieces) == 1:
            return Compare(attribute, "=", pieces[0])
        if pieces == [b"", b""]:
            return Present(attribute)
        if any(not piece for piece in pieces[1:-1]):
            raise self.fail("two stars in a row")
        return Substrings(attribute, pieces[0], tuple(pieces[1:-1]), pieces[-1])

    def extensible(self, attribute: str) -> Filter:
        self.pos += 1
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ":=()":
            self.pos += 1
        rule = self.text[start : self.pos]
        if rule.lower() == "dn":
            raise self.fail(":dn: matching is not supported")
        if not rule:
            raise self.fail("expected a matching rule")
        self.expect(":")
        self.expect("=")
        if rule not in (BIT_AND, BIT_OR, IN_CHAIN):
            raise self.fail(f"unknown matching rule {rule!r}")
        return Extensible(attribute, rule, self.value(allow_star=False)[0])

    def value(self, allow_star: bool) -> list[bytes]:
        """The assertion value up to ")", split at unescaped stars, unescaped."""
        pieces: list[bytes] = []
        current = bytearray()
        while True:
            if self.pos >= len(self.text):
                raise self.fail("unterminated value")
            char = self.text[self.pos]
            if char == ")":
                break
            if char in "(\x00":
                raise self.fail(f"{char!r} must be escaped in a value")
            if char == "*":
                if not allow_star:
                    raise self.fail("'*' is not allowed here")
                pieces.append(bytes(current))
                current = bytearray()
                self.pos += 1
                continue
            if char == "\\":
                pair = self.text[self.pos + 1 : self.pos + 3]
                if len(pair) != 2 or not set(pair) <= _HEX:
                    raise self.fail("a backslash must start a two-hex-digit escape")
                current.append(int(pair, 16))
                self.pos += 3
                continue
            current += char.encode("utf-8")
            self.pos += 1
        pieces.append(bytes(current))
        return pieces


def parse(text: str) -> Filter:
    """The filter's tree; FilterError when it is malformed or uses what is not supported."""
    parser = _Parser(text.strip())
    found = parser.filter()
    if parser.pos != len(parser.text):
        raise parser.fail("trailing text after the filter")
    return found


def matches(text: str, entry: Entry) -> bool:
    """True if the entry matches the filter text."""
    return evaluate(parse(text), entry)


def evaluate(node: Filter, entry: Entry) -> bool:
    """True if the entry matches the parsed filter."""
    if isinstance(node, And):
        return all(evaluate(item, entry) for item in node.items)
    if isinstance(node, Or):
        return any(evaluate(item, entry) for item in node.items)
    if isinstance(node, Not):
        return not evaluate(node.item, entry)
    if isinstance(node, Present):
        return bool(entry.values(node.attribute))
    if isinstance(node, Compare):
        return any(_compare(node, stored) for stored in entry.values(node.attribute))
    if isinstance(node, Substrings):
        return any(_substrings(node, stored) for stored in entry.values(node.attribute))
    return _extensible(node, entry)


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FilterError(f"value {value!r} is not UTF-8 text") from exc


def normal_dn(dn: str) -> str:
    """A DN as AD compares it: parsed RDNs, case-insensitive; the text itself if malformed."""
    try:
        parts = parse_dn(dn, escape=False)
    except (LDAPInvalidDnError, ValueError, IndexError):
        return dn.strip().lower()
    return ",".join(f"{attr.strip().lower()}={val.strip().lower()}" for attr, val, _sep in parts)


def sid_bytes(sid: str) -> bytes:
    """The binary form of an S-1-... SID text (the inverse of filters.sid_text)."""
    parts = sid.split("-")
    if len(parts) < 3 or parts[0].upper() != "S":
        raise FilterError(f"{sid!r} is not a SID")
    subs = [int(part) for part in parts[3:]]
    head = bytes([int(parts[1]), len(subs)]) + int(parts[2]).to_bytes(6, "big")
    return head + struct.pack(f"<{len(subs)}I", *subs)


def _as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _compare(node: Compare, stored: str) -> bool:
    attribute = node.attribute
    if attribute == "objectsid" and node.op == "=":
        if node.value[:2].upper() == b"S-":
            return _text(node.value).upper() == stored.upper()
        return node.value == sid_bytes(stored)
    value = _text(node.value)
    if attribute in INTEGER_ATTRIBUTES:
        wanted, have = _as_int(value), _as_int(stored)
        if wanted is None or have is None:
            return False
        return _ordered(have, node.op, wanted)
    if node.op != "=":
        return _ordered(stored.casefold(), node.op, value.casefold())
    if attribute == "objectcategory" and "=" not in value:
        # AD: (objectCategory=person) names the class; the value stored is its schema DN.
        return normal_dn(stored).split(",", 1)[0] == f"cn={value.lower()}"
    if attribute in DN_ATTRIBUTES or attribute == "objectcategory":
        return normal_dn(stored) == normal_dn(value)
    return stored.casefold() == value.casefold()


def _ordered(have: int | str, op: str, wanted: int | str) -> bool:
    if op == "=":
        return have == wanted
    if op == ">=":
        return have >= wanted  # type: ignore[operator]
    return have <= wanted  # type: ignore[operator]


def _substrings(node: Substrings, stored: str) -> bool:
    if node.attribute in INTEGER_ATTRIBUTES or node.attribute == "objectsid":
        raise FilterError(f"no substring matching on {node.attribute}")
    text = stored.casefold()
    initial, final = _text(node.initial).casefold(), _text(node.final).casefold()
    if not text.startswith(initial):
        return False
    at = len(initial)
    for piece in node.middle:
        part = _text(piece).casefold()
        found = text.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return len(text) - at >= len(final) and text.endswith(final)


def _extensible(node: Extensible, entry: Entry) -> bool:
    value = _text(node.value)
    if node.rule == IN_CHAIN:
        if node.attribute not in DN_ATTRIBUTES:
            raise FilterError(f"in-chain matching on {node.attribute}, which holds no DNs")
        return entry.in_chain(node.attribute, value)
    wanted = _as_int(value)
    if wanted is None:
        raise FilterError(f"bitwise matching needs an integer, not {value!r}")
    mask = wanted & 0xFFFFFFFF
    for stored in entry.values(node.attribute):
        have = _as_int(stored)
        if have is None:
            continue
        bits = have & 0xFFFFFFFF
        if (node.rule == BIT_AND and bits & mask == mask) or (node.rule == BIT_OR and bits & mask):
            return True
    return False
