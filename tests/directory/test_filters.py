"""Filter escaping and scope decisions on parsed DNs (no directory needed)."""

from __future__ import annotations

import pytest

from runner_api.directory import filters
from runner_api.errors import InvalidRequestError

INJECTIONS = ["*)(objectClass=*", "admin*", "(", ")", "*", "\\", "a)(|(sAMAccountName=*"]


@pytest.mark.parametrize("attempt", INJECTIONS)
def test_values_are_escaped(attempt: str) -> None:
    escaped = filters.value(attempt)
    assert not set("*()") & set(escaped)
    # Every backslash left starts a two-hex-digit escape.
    assert all(escaped[i + 1 : i + 3].isalnum() for i, c in enumerate(escaped) if c == "\\")


@pytest.mark.parametrize("attempt", ["a\x00b", "x\ny", "\x1b[2J"])
def test_control_characters_are_refused(attempt: str) -> None:
    with pytest.raises(InvalidRequestError):
        filters.value(attempt)


@pytest.mark.parametrize("attempt", INJECTIONS)
def test_user_filter_has_one_assertion_per_value(attempt: str) -> None:
    built = filters.user_by_login(attempt)
    assert built.count("(") == built.count(")") == 4
    assert "*" not in built


def test_picker_wildcards_are_ours_only() -> None:
    built = filters.picker("ad*min")
    assert "ad\\2amin*" in built
    assert "(sAMAccountName=ad\\2amin*)" in built


def test_member_of_escapes_the_dn() -> None:
    assert filters.member_of("CN=a(b)*,DC=x", nested=True) == (
        "(memberOf:1.2.840.113556.1.4.1941:=CN=a\\28b\\29\\2a,DC=x)"
    )


@pytest.mark.parametrize(
    ("dn", "scope", "inside"),
    [
        ("CN=A,OU=Staff,DC=lab,DC=test", "OU=Staff,DC=lab,DC=test", True),
        ("CN=A,OU=Sales,OU=Staff,DC=lab,DC=test", "ou=staff,dc=LAB,dc=test", True),
        ("OU=Staff,DC=lab,DC=test", "OU=Staff,DC=lab,DC=test", False),
        ("CN=A,OU=StaffX,DC=lab,DC=test", "OU=Staff,DC=lab,DC=test", False),
        ("CN=A,OU=X OU=Staff,DC=lab,DC=test", "OU=Staff,DC=lab,DC=test", False),
        ("CN=A\\,OU=Staff,DC=lab,DC=test", "OU=Staff,DC=lab,DC=test", False),
        ("CN=A,OU=Users\\,OU=Staff,DC=lab,DC=test", "OU=Staff,DC=lab,DC=test", False),
        ("CN=A,OU=Staff,DC=lab,DC=test,DC=evil", "OU=Staff,DC=lab,DC=test", False),
        ("not a dn", "OU=Staff,DC=lab,DC=test", False),
    ],
)
def test_within_decides_on_parsed_rdns(dn: str, scope: str, inside: bool) -> None:
    assert filters.within(dn, scope) is inside


def test_sid_and_filetime() -> None:
    raw = bytes([1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0]) + (1).to_bytes(4, "little") * 3
    raw += (512).to_bytes(4, "little")
    assert filters.sid_text(raw) == "S-1-5-21-1-1-1-512"
    assert filters.filetime(0) is None
    assert filters.filetime(0x7FFFFFFFFFFFFFFF) is None
    when = filters.filetime(133_000_000_000_000_000)
    assert when is not None and when.year == 2022
