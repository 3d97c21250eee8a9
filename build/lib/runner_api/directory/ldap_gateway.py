"""DirectoryGateway on ldap3: pooled bound connections, results mapped by result code."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

from ldap3 import BASE, MODIFY_ADD, MODIFY_DELETE, SUBTREE, Connection
from ldap3.core.exceptions import LDAPException

from runner_api.customers.models import Customer, DirectoryConfig
from runner_api.directory import filters
from runner_api.directory.connections import (
    LINK_ERRORS,
    ConnectionPool,
    directory_of,
    unreachable,
)
from runner_api.directory.dn_memory import DnMemory
from runner_api.directory.errors import (
    ENTRY_ALREADY_EXISTS,
    SUCCESS,
    UNWILLING_TO_PERFORM,
    ConnectionLostError,
    DirectoryError,
    result_error,
)
from runner_api.directory.gateway import Changes, GroupEntry, Person, UserEntry
from runner_api.secrets.credentials import CredentialSource

T = TypeVar("T")
GROUP_CACHE_S = 60.0
PERSON_CACHE_S = 60.0
_SECURITY_GROUP = 0x80000000
USER_ATTRIBUTES = (
    "sAMAccountName",
    "displayName",
    "mail",
    "userAccountControl",
    "msDS-User-Account-Control-Computed",
    "lockoutTime",
    "pwdLastSet",
    "adminCount",
    "memberOf",
    "objectSid",
    "primaryGroupID",
    "lastLogon",
    "lastLogonTimestamp",
    "manager",
)
# What fixes and guardrails read of their target, tokenGroups included: only what they use
# (the picker's memberOf and logon times are not), as it is read before every fix.
TARGET_ATTRIBUTES = (
    "sAMAccountName",
    "displayName",
    "mail",
    "userAccountControl",
    "msDS-User-Account-Control-Computed",
    "pwdLastSet",
    "adminCount",
    "objectSid",
    "manager",
    "tokenGroups",
)
PERSON_ATTRIBUTES = ("sAMAccountName", "displayName", "mail")
# Returned when a search hit its size limit: the entries so far are still good.
_SIZE_LIMIT_EXCEEDED = 4


def _text(raw: Mapping[str, list[bytes]], name: str) -> str | None:
    values = raw.get(name) or []
    return values[0].decode("utf-8", "replace") if values else None


def _int(raw: Mapping[str, list[bytes]], name: str) -> int:
    text = _text(raw, name)
    return int(text) if text else 0


def user_entry(dn: str, raw: Mapping[str, list[bytes]], with_tokens: bool) -> UserEntry:
    """A UserEntry from ldap3 raw_attributes."""
    sid = raw.get("objectSid") or [b""]
    tokens = raw.get("tokenGroups")
    logons = [filters.filetime(_int(raw, n)) for n in ("lastLogon", "lastLogonTimestamp")]
    known = [t for t in logons if t is not None]
    return UserEntry(
        dn=dn,
        username=_text(raw, "sAMAccountName") or "",
        display_name=_text(raw, "displayName"),
        mail=_text(raw, "mail"),
        user_account_control=_int(raw, "userAccountControl"),
        computed_control=_int(raw, "msDS-User-Account-Control-Computed"),
        lockout_time=_int(raw, "lockoutTime"),
        pwd_last_set=_int(raw, "pwdLastSet"),
        admin_count=_int(raw, "adminCount"),
        member_of=tuple(v.decode("utf-8", "replace") for v in raw.get("memberOf") or []),
        object_sid=filters.sid_text(sid[0]) if sid[0] else "",
        primary_group_id=_int(raw, "primaryGroupID"),
        last_logon=max(known) if known else None,
        token_groups=tuple(filters.sid_text(t) for t in tokens) if with_tokens and tokens else None,
        manager=_text(raw, "manager"),
    )


def _entries(conn: Connection) -> list[tuple[str, dict[str, list[bytes]]]]:
    return [
        (str(item["dn"]), dict(item["raw_attributes"]))
        for item in conn.response or []
        if item.get("type") == "searchResEntry"
    ]


class LdapDirectory:
    """DirectoryGateway over LDAPS (or StartTLS); one pool of bound connections per customer."""

    def __init__(self, credentials: CredentialSource, pool_size: int = 4) -> None:
        self._pool = ConnectionPool(credentials, pool_size)
        self._dns: DnMemory[str] = DnMemory()
        # A manager's name and mail, for the notice after a fix: a lookup on every fix's
        # way for what changes rarely. Never asked by a guardrail.
        self._people: DnMemory[Person] = DnMemory(ttl_s=PERSON_CACHE_S)
        self._groups_lock = threading.Lock()
        self._groups: dict[tuple[str, DirectoryConfig, str], tuple[float, tuple[GroupEntry, ...]]]
        self._groups = {}

    def close(self) -> None:
        """Unbind every pooled connection."""
        self._pool.close()

    def _read(self, customer: Customer, op: Callable[[Connection], T]) -> T:
        # A pooled connection may have been dropped by the DC while idle: reads are safe to
        # repeat, so try once more on a fresh one. Writes never come through here.
        for attempt in range(2):
            try:
                with self._pool.connection(customer) as (conn, reused):
                    return op(conn)
            except LINK_ERRORS as exc:
                if not reused or attempt:
                    raise unreachable(directory_of(customer), exc) from exc
            except LDAPException as exc:
                raise DirectoryError(f"directory read failed: {type(exc).__name__}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _search(
        self, conn: Connection, base: str, ldap_filter: str, scope: str, attrs: Any, limit: int = 0
    ) -> list[tuple[str, dict[str, list[bytes]]]]:
        conn.search(base, ldap_filter, scope, attributes=attrs, size_limit=limit)
        code = int(conn.result.get("result", -1))
        if code == 32:  # noSuchObject: the base itself is gone
            return []
        if code not in (SUCCESS, _SIZE_LIMIT_EXCEEDED):
            raise result_error(conn.result, "search", base)
        return _entries(conn)

    def find_dn(self, customer: Customer, username: str, *, fresh: bool = False) -> str | None:
        if not fresh and (known := self._dns.get(customer, username)) is not None:
            return known
        base = directory_of(customer).base_dn
        # No attributes: outside the user OUs only the DN is looked at, to say "out of scope".
        found = self._read(
            customer,
            lambda c: self._search(c, base, filters.user_by_login(username), SUBTREE, None, 2),
        )
        if len(found) > 1:
            raise DirectoryError(f"more than one account is named {username!r}; nothing done")
        dn = found[0][0] if found else None
        self._dns.put(customer, username, dn)
        return dn

    def find_login(self, customer: Customer, address: str) -> str | None:
        base = directory_of(customer).base_dn
        # Never remembered: a guardrail decides on it, and addresses move between accounts.
        found = self._read(
            customer,
            lambda c: self._search(
                c, base, filters.user_by_address(address), SUBTREE, ["sAMAccountName"], 2
            ),
        )
        if len(found) > 1:
            raise DirectoryError(f"more than one account has the address {address!r}")
        return _text(found[0][1], "sAMAccountName") if found else None

    def find_user(self, customer: Customer, dn: str) -> UserEntry | None:
        attrs = list(TARGET_ATTRIBUTES)
        found = self._read(
            customer, lambda c: self._search(c, dn, f"(&{filters.USER_CLASS})", BASE, attrs)
        )
        return user_entry(found[0][0], found[0][1], with_tokens=True) if found else None

    def read_user(self, customer: Customer, dn: str) -> UserEntry:
        user = self.find_user(customer, dn)
        if user is None:
            raise DirectoryError(f"user {dn!r} vanished while it was being read")
        return user

    def read_person(self, customer: Customer, dn: str) -> Person:
        if (known := self._people.get(customer, dn)) is not None:
            return known
        attrs = list(PERSON_ATTRIBUTES)
        found = self._read(
            customer, lambda c: self._search(c, dn, f"(&{filters.USER_CLASS})", BASE, attrs)
        )
        if not found:
            raise DirectoryError(f"user {dn!r} vanished while it was being read")
        raw = found[0][1]
        username = _text(raw, "sAMAccountName") or ""
        person = Person(found[0][0], username, _text(raw, "displayName"), _text(raw, "mail"))
        self._people.put(customer, dn, person)
        return person

    def search(self, customer: Customer, ldap_filter: str, limit: int) -> list[UserEntry]:
        config = directory_of(customer)
        users: dict[str, UserEntry] = {}
        for ou in config.user_ous:
            if len(users) >= limit:
                break
            found = self._read(
                customer,
                partial(
                    self._search,
                    base=ou,
                    ldap_filter=ldap_filter,
                    scope=SUBTREE,
                    attrs=list(USER_ATTRIBUTES),
                    limit=limit - len(users),
                ),
            )
            for dn, raw in found:
                # Scope re-checked on the parsed DN: a referral or alias never widens it.
                if any(filters.within(dn, scope) for scope in config.user_ous):
                    user = users.setdefault(dn.lower(), user_entry(dn, raw, with_tokens=False))
                    # The fix an agent picks next finds its account without a search.
                    self._dns.put(customer, user.username, user.dn)
        return list(users.values())[:limit]

    def find_groups(self, customer: Customer, ldap_filter: str) -> list[GroupEntry]:
        # Which groups exist (name, DN, SID) changes rarely and is looked up by every
        # guardrail check: remembered briefly. Memberships are never cached.
        key = (customer.name, directory_of(customer), ldap_filter)
        with self._groups_lock:
            cached = self._groups.get(key)
            if cached is not None and cached[0] > time.monotonic():
                return list(cached[1])
        base = directory_of(customer).base_dn
        attrs = ["sAMAccountName", "objectSid", "groupType"]
        found = self._read(
            customer, lambda c: self._search(c, base, ldap_filter, SUBTREE, attrs, 50)
        )
        groups = []
        for dn, raw in found:
            sid = raw.get("objectSid") or [b""]
            name = _text(raw, "sAMAccountName") or filters.rdn_value(dn)
            security = bool(int(_text(raw, "groupType") or "0") & _SECURITY_GROUP)
            groups.append(
                GroupEntry(dn, name, filters.sid_text(sid[0]) if sid[0] else "", security)
            )
        with self._groups_lock:
            self._groups[key] = (time.monotonic() + GROUP_CACHE_S, tuple(groups))
        return groups

    def matches(self, customer: Customer, dn: str, ldap_filter: str) -> bool:
        found = self._read(customer, lambda c: self._search(c, dn, ldap_filter, BASE, None))
        return bool(found)

    def _write(
        self, customer: Customer, op: Callable[[Connection], bool], what: str, dn: str
    ) -> int:
        config = directory_of(customer)
        # Opening the connection sends nothing: a failure there is a plain "unreachable".
        with self._pool.connection(customer, writing=True) as (conn, _reused):
            try:
                op(conn)
            except LINK_ERRORS as exc:
                raise ConnectionLostError(
                    f"directory unreachable: the connection to {config.url} dropped after the "
                    f"{what} was sent; it may or may not have been applied"
                ) from exc
            except LDAPException as exc:
                raise DirectoryError(f"{what} failed: {type(exc).__name__}") from exc
            code = int(conn.result.get("result", -1))
            if code == SUCCESS:
                return code
            if what == "membership change" and code in (ENTRY_ALREADY_EXISTS, UNWILLING_TO_PERFORM):
                return code
            raise result_error(conn.result, what, dn)

    def modify(self, customer: Customer, dn: str, changes: Changes) -> None:
        plain = {attr: list(ops) for attr, ops in changes.items()}
        self._write(customer, lambda c: bool(c.modify(dn, plain)), "modify", dn)

    def set_member(self, customer: Customer, group_dn: str, user_dn: str, member: bool) -> bool:
        change = {"member": [(MODIFY_ADD if member else MODIFY_DELETE, [user_dn])]}
        code = self._write(
            customer, lambda c: bool(c.modify(group_dn, change)), "membership change", group_dn
        )
        # 68 on add (already a member) / 53 on delete (not a member): nothing changed.
        return code == SUCCESS
