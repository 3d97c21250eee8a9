"""LDAP filters with every outside value escaped, DN scope checks on parsed DNs, AD values."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from runner_api.errors import InvalidRequestError

# Matching rules: LDAP_MATCHING_RULE_IN_CHAIN (nested membership) and LDAP_MATCHING_RULE_BIT_AND.
IN_CHAIN = "1.2.840.113556.1.4.1941"
USER_CLASS = "(objectCategory=person)(objectClass=user)"
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
# FILETIME "never" (0x7FFFFFFFFFFFFFFF) and 0 both mean "no date".
_FILETIME_NEVER = 0x7FFFFFFFFFFFFFFF


def value(text: str) -> str:
    """One assertion value, escaped (`*`, parens, backslash, non-ASCII); no control chars."""
    # Escaped NUL (\\00) still cuts the value short on Samba (C strings): "a\\00b" would
    # search for "a". No name, login or mail holds a control character: refuse them all.
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise InvalidRequestError("control characters are not allowed in a directory search")
    return str(escape_filter_chars(text))


def user_by_login(username: str) -> str:
    """Filter for one user by sAMAccountName."""
    return f"(&{USER_CLASS}(sAMAccountName={value(username)}))"


def users_by_login(usernames: list[str]) -> str:
    """Filter for the users with any of these sAMAccountNames."""
    logins = "".join(f"(sAMAccountName={value(name)})" for name in usernames)
    return f"(&{USER_CLASS}(|{logins}))"


def user_by_address(address: str) -> str:
    """Filter for the user whose mail, proxy address (smtp:, any case) or UPN this is."""
    v = value(address)
    terms = f"(mail={v})(proxyAddresses=SMTP:{v})(proxyAddresses=smtp:{v})(userPrincipalName={v})"
    return f"(&{USER_CLASS}(|{terms}))"


def group_by_name(name: str) -> str:
    """Filter for one group by sAMAccountName or cn."""
    escaped = value(name)
    return f"(&(objectClass=group)(|(sAMAccountName={escaped})(cn={escaped})))"


def picker(query: str) -> str:
    """Users whose name, login or email starts with (or display name contains) `query`."""
    v = value(query)
    return (
        f"(&{USER_CLASS}(|(sAMAccountName={v}*)(userPrincipalName={v}*)(mail={v}*)"
        f"(givenName={v}*)(sn={v}*)(displayName=*{v}*)(cn={v}*)))"
    )


def member_of(group_dn: str, nested: bool = False) -> str:
    """True on a user that is a (direct, or with nested=True any-depth) member of a group."""
    rule = f":{IN_CHAIN}:" if nested else ""
    return f"(memberOf{rule}={value(group_dn)})"


def any_of(filters: list[str]) -> str:
    """OR of filters (already escaped)."""
    return f"(|{''.join(filters)})"


def _rdns(dn: str) -> list[tuple[str, str]]:
    # escape=False keeps values as written; compare case-insensitively as AD does.
    return [(attr.lower(), val.lower()) for attr, val, _sep in parse_dn(dn, escape=False)]


def within(dn: str, container: str) -> bool:
    """True if `dn` is strictly below `container`, decided on parsed RDNs, not a string suffix."""
    try:
        child, parent = _rdns(dn), _rdns(container)
    except (LDAPInvalidDnError, ValueError, IndexError):  # a malformed DN is never in scope
        return False
    return len(child) > len(parent) and child[-len(parent) :] == parent


def rdn_value(dn: str) -> str:
    """The value of a DN's first RDN (a group's CN), unescaped."""
    return str(parse_dn(dn, escape=False)[0][1])


def sid_text(raw: bytes) -> str:
    """A binary objectSid as S-1-5-21-..."""
    revision, count = raw[0], raw[1]
    authority = int.from_bytes(raw[2:8], "big")
    subs = struct.unpack(f"<{count}I", raw[8 : 8 + 4 * count])
    return f"S-{revision}-{authority}" + "".join(f"-{sub}" for sub in subs)


def filetime(raw: int) -> datetime | None:
    """An AD FILETIME (100 ns since 1601) as UTC; None for 0 / never."""
    if raw <= 0 or raw >= _FILETIME_NEVER:
        return None
    return _FILETIME_EPOCH + timedelta(microseconds=raw // 10)
