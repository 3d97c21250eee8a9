"""FakeDirectory: DirectoryGateway in memory, seeded like the lab's Samba AD DCs.

Every customer of lab/directory_data (lab, contoso) has its own domain with the lab's
sample data: the same OUs, users (locked, disabled, must-change, adm.* privileged ones, the
deny-listed CEO, managers), groups and memberships, Samba's built-in groups and accounts,
helpdesk-svc and, on lab, the helpdesk's agents. Entries are answered as ldap3 would hand
them to LdapDirectory (raw attributes through ldap_gateway.user_entry), so the UserEntry a
fix reads is built by the product's own mapping.

Writes follow what the lab DC enforces for helpdesk-svc (lab/directory_seed.py): on user
objects inside the delegated user OUs only unicodePwd, pwdLastSet, lockoutTime and
userAccountControl; on VPN-Users only `member`; anything else answers result 50, a DN that
is not there result 32, a password the domain policy refuses 19 + 0000052D; all mapped by
runner_api/directory/errors.result_error exactly as the real gateway maps them. Note that
the delegation, not the product's user_ous, decides: widen a customer's scope and the DC
still says 50. Like Samba (no AdminSDHolder) the DC lets helpdesk-svc write the adm.*
fixtures inside the user OUs: only the product's guardrail stops that.

Tests steer it with fail_next(operation, error) (the next call of that gateway method
raises, optionally after a write was applied: a lost answer), set_down(customer) (every
call answers "directory unreachable") and read it with bind(), attributes(), writes.
Thread-safe: runs call it from worker threads.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE
from ldap3.core.exceptions import LDAPSocketOpenError
from ldap3.core.results import RESULT_CODES
from pydantic import SecretStr

from lab import directory_data as data
from lab import directory_helpdesk as helpdesk
from lab.directory_data import DirectorySite, LabGroup, LabUser, UserState
from lab.directory_seed import GLOBAL_SECURITY_GROUP as GLOBAL_SECURITY
from lab.directory_seed import USER_CLASSES, _user_attributes
from runner_api.customers.models import Customer, DirectoryConfig
from runner_api.directory import filters
from runner_api.directory.connections import directory_of, unreachable
from runner_api.directory.errors import (
    CONSTRAINT_VIOLATION,
    ENTRY_ALREADY_EXISTS,
    INSUFFICIENT_ACCESS_RIGHTS,
    SUCCESS,
    UNWILLING_TO_PERFORM,
    ConnectionLostError,
    DirectoryBindError,
    DirectoryError,
    DirectoryUnreachableError,
    result_error,
)
from runner_api.directory.gateway import Changes, GroupEntry, Person, UserEntry
from runner_api.directory.ldap_gateway import (
    PERSON_ATTRIBUTES,
    TARGET_ATTRIBUTES,
    USER_ATTRIBUTES,
    user_entry,
)
from runner_api.secrets.credentials import CredentialSource, DirectoryCredential
from tests.fakes import ldap_filters
from tests.fakes.faults import Faults
from tests.fakes.ldap_filters import normal_dn, sid_bytes

T = TypeVar("T")
NO_SUCH_OBJECT = 32
INVALID_ATTRIBUTE_SYNTAX = 21
LOCKOUT = 0x10
PASSWORD_EXPIRED = 0x800000
SECURITY_GROUP = 0x80000000
DOMAIN_LOCAL_SECURITY = -2147483644
BUILTIN_LOCAL_SECURITY = -2147483643
UNIVERSAL_SECURITY = -2147483640
# The domain password policy of the lab (samba-tool defaults but for lockout and ages).
MIN_PASSWORD_LENGTH = 7
# What the DC lets helpdesk-svc write (lab/directory_seed.py _delegate).
USER_WRITABLE = frozenset({"unicodepwd", "pwdlastset", "lockouttime", "useraccountcontrol"})
GROUP_WRITABLE = frozenset({"member"})
FAKE_CA_PEM = "-----BEGIN CERTIFICATE-----\nZmFrZSBkaXJlY3Rvcnk=\n-----END CERTIFICATE-----\n"
# Built-in groups Samba 4.17 provisions: (name, container, RID or builtin SID, groupType).
_BUILTIN = "CN=Builtin"
_USERS = "CN=Users"
WELL_KNOWN_GROUPS: tuple[tuple[str, str, str, int], ...] = (
    ("Administrators", _BUILTIN, "S-1-5-32-544", BUILTIN_LOCAL_SECURITY),
    ("Users", _BUILTIN, "S-1-5-32-545", BUILTIN_LOCAL_SECURITY),
    ("Guests", _BUILTIN, "S-1-5-32-546", BUILTIN_LOCAL_SECURITY),
    ("Account Operators", _BUILTIN, "S-1-5-32-548", BUILTIN_LOCAL_SECURITY),
    ("Server Operators", _BUILTIN, "S-1-5-32-549", BUILTIN_LOCAL_SECURITY),
    ("Print Operators", _BUILTIN, "S-1-5-32-550", BUILTIN_LOCAL_SECURITY),
    ("Backup Operators", _BUILTIN, "S-1-5-32-551", BUILTIN_LOCAL_SECURITY),
    ("Replicator", _BUILTIN, "S-1-5-32-552", BUILTIN_LOCAL_SECURITY),
    ("Remote Desktop Users", _BUILTIN, "S-1-5-32-555", BUILTIN_LOCAL_SECURITY),
    ("Pre-Windows 2000 Compatible Access", _BUILTIN, "S-1-5-32-554", BUILTIN_LOCAL_SECURITY),
    ("Domain Admins", _USERS, "512", GLOBAL_SECURITY),
    ("Domain Users", _USERS, "513", GLOBAL_SECURITY),
    ("Domain Guests", _USERS, "514", GLOBAL_SECURITY),
    ("Domain Computers", _USERS, "515", GLOBAL_SECURITY),
    ("Domain Controllers", _USERS, "516", GLOBAL_SECURITY),
    ("Cert Publishers", _USERS, "517", DOMAIN_LOCAL_SECURITY),
    ("Schema Admins", _USERS, "518", UNIVERSAL_SECURITY),
    ("Enterprise Admins", _USERS, "519", UNIVERSAL_SECURITY),
    ("Group Policy Creator Owners", _USERS, "520", GLOBAL_SECURITY),
    ("Read-only Domain Controllers", _USERS, "521", GLOBAL_SECURITY),
    ("Enterprise Read-only Domain Controllers", _USERS, "498", UNIVERSAL_SECURITY),
    ("RAS and IAS Servers", _USERS, "553", DOMAIN_LOCAL_SECURITY),
    ("Allowed RODC Password Replication Group", _USERS, "571", DOMAIN_LOCAL_SECURITY),
    ("Denied RODC Password Replication Group", _USERS, "572", DOMAIN_LOCAL_SECURITY),
    ("DnsAdmins", _USERS, "1101", DOMAIN_LOCAL_SECURITY),
    ("DnsUpdateProxy", _USERS, "1102", GLOBAL_SECURITY),
)
# group -> members (groups or accounts of CN=Users), as Samba provisions them.
WELL_KNOWN_MEMBERS: dict[str, tuple[str, ...]] = {
    "Administrators": ("Administrator", "Enterprise Admins", "Domain Admins"),
    "Users": ("Domain Users",),
    "Guests": ("Guest", "Domain Guests"),
    "Domain Admins": ("Administrator",),
    "Enterprise Admins": ("Administrator",),
    "Schema Admins": ("Administrator",),
    "Group Policy Creator Owners": ("Administrator",),
    "Denied RODC Password Replication Group": (
        "krbtgt", "Domain Controllers", "Schema Admins", "Enterprise Admins", "Cert Publishers",
        "Domain Admins", "Group Policy Creator Owners", "Read-only Domain Controllers",
    ),
}  # fmt: skip
GATEWAY_OPERATIONS = frozenset(
    {
        "find_dn", "find_login", "find_user", "read_user", "read_person", "search",
        "find_groups", "matches", "modify", "set_member",
    }
)  # fmt: skip
WRITES = frozenset({"modify", "set_member"})


def filetime_now() -> int:
    """Now as an AD FILETIME (100 ns since 1601)."""
    return int((time.time() + 11_644_473_600) * 10_000_000)


def _hash(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def _domain_sid(customer: str) -> str:
    digest = hashlib.sha256(f"fake-domain-{customer}".encode()).digest()
    subs = [int.from_bytes(digest[i : i + 4], "little") for i in (0, 4, 8)]
    return "S-1-5-21-" + "-".join(str(sub) for sub in subs)


@dataclass
class _Entry:
    """One directory object: attributes by lower-case name, values as text."""

    dn: str
    attributes: dict[str, list[str]]
    password_hash: str | None = None

    @property
    def key(self) -> str:
        return normal_dn(self.dn)

    def first(self, name: str) -> str | None:
        values = self.attributes.get(name.lower()) or []
        return values[0] if values else None

    def number(self, name: str) -> int:
        text = self.first(name)
        return int(text) if text else 0

    def has_class(self, name: str) -> bool:
        return name.lower() in {c.lower() for c in self.attributes.get("objectclass", [])}

    @property
    def is_user(self) -> bool:
        return self.has_class("user") and not self.has_class("computer")

    @property
    def is_group(self) -> bool:
        return self.has_class("group")


@dataclass(frozen=True)
class Write:
    """One write the fake applied (for assertions that something was, or was not, written)."""

    customer: str
    operation: str
    dn: str
    attributes: tuple[str, ...]


class _Domain:
    """One customer's DC: its entries and the rules its DC enforces."""

    def __init__(self, site: DirectorySite) -> None:
        self.site = site
        self.sid = _domain_sid(site.customer)
        self.entries: dict[str, _Entry] = {}
        self._next_rid = 1103
        self.service_password = secrets.token_urlsafe(18)
        self.delegated_ous = tuple(normal_dn(ou) for ou in site.user_ous)
        self.vpn_group = normal_dn(site.dn(f"CN={data.VPN_GROUP},{data.GROUPS_OU}"))
        self.threshold = data.LOCKOUT_THRESHOLD
        _seed(self)

    # --- building ---

    def add(self, dn: str, classes: Sequence[str], **attributes: str | int | list[str]) -> _Entry:
        values: dict[str, list[str]] = {"objectclass": list(classes)}
        category = "Person" if "user" in classes else classes[-1].capitalize()
        if "computer" in classes:
            category = "Computer"
        values["objectcategory"] = [f"CN={category},CN=Schema,CN=Configuration,{self.base}"]
        values["cn"] = [filters.rdn_value(dn)]
        values["name"] = [filters.rdn_value(dn)]
        for name, value in attributes.items():
            if isinstance(value, list):
                values[name.lower()] = [str(v) for v in value]
            else:
                values[name.lower()] = [str(value)]
        entry = _Entry(dn, values)
        self.entries[entry.key] = entry
        return entry

    def rid_sid(self, rid: str | int | None = None) -> str:
        if rid is None:
            rid = self._next_rid
            self._next_rid += 1
        text = str(rid)
        return text if text.startswith("S-") else f"{self.sid}-{text}"

    @property
    def base(self) -> str:
        return self.site.base_dn

    # --- reading ---

    def get(self, dn: str) -> _Entry | None:
        return self.entries.get(normal_dn(dn))

    def under(self, base: str) -> list[_Entry]:
        """Every entry of a subtree search from base (base included); [] when base is none."""
        key = normal_dn(base)
        if key not in self.entries:
            return []
        suffix = "," + key
        return [e for k, e in self.entries.items() if k == key or k.endswith(suffix)]

    def groups_holding(self, key: str) -> list[_Entry]:
        """The groups whose `member` names this entry (its memberOf back-link)."""
        return [
            e
            for e in self.entries.values()
            if e.is_group and any(normal_dn(m) == key for m in e.attributes.get("member", []))
        ]

    def primary_group(self, entry: _Entry) -> _Entry | None:
        rid = entry.number("primaryGroupID")
        if not rid:
            return None
        sid = f"{self.sid}-{rid}"
        return next(
            (e for e in self.entries.values() if e.is_group and e.first("objectSid") == sid), None
        )

    def ancestors(self, entry: _Entry, with_primary: bool) -> list[_Entry]:
        """Every group the entry is in, nested included (and its primary group's chain)."""
        start = self.groups_holding(entry.key)
        primary = self.primary_group(entry) if with_primary else None
        if primary is not None:
            start.append(primary)
        seen: dict[str, _Entry] = {}
        pending = list(start)
        while pending:
            group = pending.pop()
            if group.key in seen:
                continue
            seen[group.key] = group
            pending.extend(self.groups_holding(group.key))
        return list(seen.values())

    def descendants(self, group: _Entry) -> set[str]:
        """Keys of every member of a group, nested included."""
        seen: set[str] = set()
        pending = [normal_dn(m) for m in group.attributes.get("member", [])]
        while pending:
            key = pending.pop()
            if key in seen:
                continue
            seen.add(key)
            member = self.entries.get(key)
            if member is not None and member.is_group:
                pending.extend(normal_dn(m) for m in member.attributes.get("member", []))
        return seen

    def token_groups(self, entry: _Entry) -> list[str]:
        """tokenGroups: SIDs of every security group, nested and primary included."""
        return [
            sid
            for group in self.ancestors(entry, with_primary=True)
            if group.number("groupType") & SECURITY_GROUP and (sid := group.first("objectSid"))
        ]

    def computed_control(self, entry: _Entry) -> int:
        """msDS-User-Account-Control-Computed (lockout duration 0: locked until unlocked)."""
        value = 0
        if entry.number("lockoutTime"):
            value |= LOCKOUT
        if entry.first("pwdLastSet") == "0":
            value |= PASSWORD_EXPIRED
        return value

    def values(self, entry: _Entry, name: str) -> list[str]:
        """An attribute as a search sees it, constructed and back-link ones included."""
        key = name.lower()
        if key == "distinguishedname":
            return [entry.dn]
        if key == "memberof":
            return [group.dn for group in self.groups_holding(entry.key)]
        if key == "msds-user-account-control-computed":
            return [str(self.computed_control(entry))] if entry.is_user else []
        if key == "tokengroups":
            return self.token_groups(entry) if entry.is_user else []
        return list(entry.attributes.get(key, []))

    def matches(self, entry: _Entry, ldap_filter: ldap_filters.Filter) -> bool:
        return ldap_filters.evaluate(ldap_filter, _View(self, entry))

    def raw(self, entry: _Entry, names: Iterable[str]) -> dict[str, list[bytes]]:
        """ldap3's raw_attributes for the requested attributes (SIDs binary, as AD sends)."""
        raw: dict[str, list[bytes]] = {}
        for name in names:
            found = self.values(entry, name)
            if not found:
                continue
            if name.lower() in ("objectsid", "tokengroups"):
                raw[name] = [sid_bytes(value) for value in found]
            else:
                raw[name] = [value.encode("utf-8") for value in found]
        return raw

    # --- the DC's own rules ---

    def writable(self, entry: _Entry) -> frozenset[str]:
        """What helpdesk-svc may write on this object."""
        if entry.is_user and any(entry.key.endswith("," + ou) for ou in self.delegated_ous):
            return USER_WRITABLE
        if entry.key == self.vpn_group:
            return GROUP_WRITABLE
        return frozenset()

    def is_locked(self, entry: _Entry) -> bool:
        return bool(self.computed_control(entry) & LOCKOUT)


@dataclass
class _View:
    """ldap_filters.Entry over one entry of a domain."""

    domain: _Domain
    entry: _Entry

    def values(self, attribute: str) -> Sequence[str]:
        return self.domain.values(self.entry, attribute)

    def in_chain(self, attribute: str, dn: str) -> bool:
        wanted = normal_dn(dn)
        if attribute == "memberof":
            groups = self.domain.ancestors(self.entry, with_primary=False)
            return any(group.key == wanted for group in groups)
        if attribute == "member":
            return self.entry.is_group and wanted in self.domain.descendants(self.entry)
        return any(normal_dn(v) == wanted for v in self.values(attribute))


def _seed(domain: _Domain) -> None:
    """The lab's sample data (lab/directory_seed.py), plus what Samba provisions itself."""
    site = domain.site
    base = site.base_dn
    domain.add(base, ["top", "domain", "domainDNS"])
    for container in (_USERS, _BUILTIN, "CN=Computers"):
        domain.add(site.dn(container), ["top", "container"])
    ous = ["OU=Domain Controllers", data.STAFF_OU, data.CONTRACTORS_OU, data.SERVICE_OU]
    ous += [data.GROUPS_OU, *(f"OU={name},{data.STAFF_OU}" for name in data.DEPARTMENTS)]
    if site.customer == helpdesk.HELPDESK_CUSTOMER:
        ous.append(helpdesk.HELPDESK_OU)
    for ou in ous:
        domain.add(site.dn(ou), ["top", "organizationalUnit"])
    for name, container, group_rid, kind in WELL_KNOWN_GROUPS:
        domain.add(
            site.dn(f"CN={name},{container}"),
            ["top", "group"],
            sAMAccountName=name,
            objectSid=domain.rid_sid(group_rid),
            groupType=kind,
        )
    now = filetime_now()
    builtin_accounts = (
        ("Administrator", 500, 66048, True),
        ("Guest", 501, 66082, False),
        ("krbtgt", 502, 514, True),
    )
    for sam, rid, uac, admin in builtin_accounts:
        account = domain.add(
            site.dn(f"CN={sam},{_USERS}"),
            USER_CLASSES,
            sAMAccountName=sam,
            objectSid=domain.rid_sid(rid),
            userAccountControl=uac,
            primaryGroupID=514 if sam == "Guest" else 513,
            pwdLastSet=now,
            lockoutTime=0,
        )
        if admin:
            account.attributes["admincount"] = ["1"]
        account.password_hash = _hash(secrets.token_urlsafe(18))
    domain.add(
        site.dn(f"CN={site.host_name.upper()},OU=Domain Controllers"),
        [*USER_CLASSES, "computer"],
        sAMAccountName=f"{site.host_name.upper()}$",
        objectSid=domain.rid_sid(1000),
        userAccountControl=532480,
        primaryGroupID=516,
    )
    for group in data.groups_of(site.customer):
        _add_group(domain, group, data.GROUPS_OU)
    users = list(data.users_of(site.customer))
    for index, user in enumerate(users):
        _add_user(domain, user, index, now)
    service = LabUser(data.SERVICE_ACCOUNT, "", "", data.SERVICE_OU, "Fixline's delegated bind")
    _add_user(domain, service, 99, now).password_hash = _hash(domain.service_password)
    members: dict[str, list[str]] = {}
    for user in users:
        for name in user.groups:
            members.setdefault(name, []).append(site.dn(user.relative_dn()))
        if user.manager:
            manager = data.user(user.manager)
            entry = domain.entries[normal_dn(site.dn(user.relative_dn()))]
            entry.attributes["manager"] = [site.dn(manager.relative_dn())]
    for group in data.groups_of(site.customer):
        for parent in group.member_of:
            members.setdefault(parent, []).append(site.dn(f"CN={group.name},{data.GROUPS_OU}"))
    if site.customer == helpdesk.HELPDESK_CUSTOMER:
        _seed_helpdesk(domain, members, now)
    for name, listed in WELL_KNOWN_MEMBERS.items():
        for member in listed:
            found = _by_name(domain, member)
            members.setdefault(name, []).append(found.dn)
    for name, dns in members.items():
        _by_name(domain, name).attributes.setdefault("member", []).extend(dns)


def _seed_helpdesk(domain: _Domain, members: dict[str, list[str]], now: int) -> None:
    site = domain.site
    for group in helpdesk.HELPDESK_GROUPS:
        added = _add_group(domain, group, helpdesk.HELPDESK_OU)
        for parent in group.member_of:
            members.setdefault(parent, []).append(added.dn)
    for index, agent in enumerate(helpdesk.AGENTS):
        _add_user(domain, agent, index, now)
        for name in agent.groups:
            members.setdefault(name, []).append(site.dn(agent.relative_dn()))
    login = LabUser(helpdesk.LOGIN_ACCOUNT, "", "", helpdesk.LOGIN_ACCOUNT_OU, "agent lookups")
    _add_user(domain, login, 98, now).password_hash = _hash(secrets.token_urlsafe(18))


def _by_name(domain: _Domain, sam: str) -> _Entry:
    for entry in domain.entries.values():
        if (entry.first("sAMAccountName") or "").lower() == sam.lower():
            return entry
    raise KeyError(sam)


def _add_group(domain: _Domain, group: LabGroup, ou: str) -> _Entry:
    """A global security group, as directory_seed makes the lab's."""
    return domain.add(
        domain.site.dn(f"CN={group.name},{ou}"),
        ["top", "group"],
        sAMAccountName=group.name,
        objectSid=domain.rid_sid(),
        groupType=GLOBAL_SECURITY,
        description=group.purpose,
    )


def _add_user(domain: _Domain, user: LabUser, index: int, now: int) -> _Entry:
    """A user with the attributes directory_seed writes, and what the DC adds to them."""
    seeded = _user_attributes(domain.site, user, index)
    seeded.pop("unicodePwd")  # kept as a hash, below
    attributes: dict[str, str | int | list[str]] = {k: str(v) for k, v in seeded.items()}
    attributes |= {
        "objectSid": domain.rid_sid(),
        "primaryGroupID": 513,
        "pwdLastSet": 0 if user.state is UserState.MUST_CHANGE else now,
        "lockoutTime": now if user.state is UserState.LOCKED else 0,
        "badPwdCount": domain.threshold if user.state is UserState.LOCKED else 0,
        "sAMAccountType": 805306368,
    }
    if user.stale_admin_count:
        attributes["adminCount"] = 1
    entry = domain.add(domain.site.dn(user.relative_dn()), USER_CLASSES, **attributes)
    entry.password_hash = _hash(data.LAB_USER_PASSWORD)
    return entry


def _result(code: int, message: str = "") -> dict[str, Any]:
    """An ldap3 result dict, as result_error reads it."""
    return {"result": code, "description": RESULT_CODES.get(code, "error"), "message": message}


class _RefusedError(Exception):
    """A write the DC answers with a result code (mapped by result_error afterwards)."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message)
        self.result = _result(code, message)


def _policy(message: str) -> _RefusedError:
    return _RefusedError(
        CONSTRAINT_VIOLATION,
        f"0000052D: Constraint violation - check_password_restrictions: {message}!",
    )


def check_password(password: str) -> None:
    """The domain's password policy as the lab's Samba 4.17 checks a reset: at least
    MIN_PASSWORD_LENGTH characters, three of the character classes. Unlike Windows, it does
    not look for the account's name in the password (the contract test shows it)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _policy(
            "the password is too short. It should be equal or longer than "
            f"{MIN_PASSWORD_LENGTH} characters"
        )
    classes = [
        any(c.isupper() for c in password),
        any(c.islower() for c in password),
        any(c.isdigit() for c in password),
        any(c.isascii() and not c.isalnum() for c in password),
        any(not c.isascii() and c.isalpha() and not (c.isupper() or c.islower()) for c in password),
    ]
    if sum(classes) < 3:
        raise _policy("the password does not meet the complexity criteria")


def _decode_password(value: Any) -> str:
    raw = value if isinstance(value, bytes) else str(value).encode("utf-16-le")
    try:
        text = raw.decode("utf-16-le")
    except UnicodeDecodeError:
        raise _RefusedError(CONSTRAINT_VIOLATION, "unicodePwd is not UTF-16") from None
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise _RefusedError(CONSTRAINT_VIOLATION, "unicodePwd must be a quoted UTF-16 string")
    return text[1:-1]


def _first(raw: Mapping[str, list[bytes]], name: str) -> str | None:
    values = raw.get(name) or []
    return values[0].decode("utf-8") if values else None


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class FakeDirectory:
    """DirectoryGateway over in-memory copies of the lab's DCs (customers lab, contoso)."""

    def __init__(self, customers: Iterable[str] = tuple(data.SITES)) -> None:
        self._lock = threading.RLock()
        self._domains = {name: _Domain(data.SITES[name]) for name in customers}
        self._faults = Faults("DirectoryGateway", GATEWAY_OPERATIONS, WRITES)
        self._down: set[str] = set()
        self._credentials: CredentialSource | None = None
        self.writes: list[Write] = []
        self.calls: list[tuple[str, str]] = []

    # --- steering and inspection (tests) ---

    def use_credentials(self, credentials: CredentialSource | None) -> None:
        """Check every call's bind against this source (as LdapDirectory reads its bind
        there): a missing credential is a ConfigurationError, a wrong password 49/52e."""
        with self._lock:
            self._credentials = credentials

    def service_credential(self, customer: str) -> DirectoryCredential:
        """The bind the fake DC accepts (helpdesk-svc), to seed a credential store with."""
        domain = self._domains[customer]
        service = domain.site.dn(f"CN={data.SERVICE_ACCOUNT},{data.SERVICE_OU}")
        return DirectoryCredential(service, SecretStr(domain.service_password), FAKE_CA_PEM)

    def fail_next(
        self,
        operation: str,
        error: Exception,
        *,
        applied: bool = False,
        customer: str | None = None,
    ) -> None:
        """The next call of a gateway method raises `error`; with applied=True a write is
        applied first (the DC did it, the answer was lost: use a ConnectionLostError)."""
        self._faults.add(operation, error, customer, applied)

    def set_down(self, customer: str, down: bool = True) -> None:
        """The customer's DC stops answering (every call: directory unreachable), or is back."""
        with self._lock:
            (self._down.add if down else self._down.discard)(customer)

    @staticmethod
    def connection_lost(customer: Customer, what: str = "modify") -> ConnectionLostError:
        """The error LdapDirectory raises when the link drops after a write was sent."""
        config = directory_of(customer)
        return ConnectionLostError(
            f"directory unreachable: the connection to {config.url} dropped after the "
            f"{what} was sent; it may or may not have been applied"
        )

    @staticmethod
    def unreachable(customer: Customer) -> DirectoryUnreachableError:
        """The error LdapDirectory raises when the DC refuses or does not answer."""
        return unreachable(directory_of(customer), LDAPSocketOpenError("socket connection error"))

    def dn_of(self, customer: str, sam: str) -> str:
        """The DN of an account or group by sAMAccountName; KeyError when there is none."""
        with self._lock:
            return _by_name(self._domains[customer], sam).dn

    def attributes(self, customer: str, sam: str) -> dict[str, list[str]]:
        """A copy of an object's attributes (memberOf and the computed control included)."""
        with self._lock:
            domain = self._domains[customer]
            entry = _by_name(domain, sam)
            found = {name: list(values) for name, values in entry.attributes.items()}
            for name in ("memberOf", "msDS-User-Account-Control-Computed"):
                found[name.lower()] = domain.values(entry, name)
            return found

    def groups_of(self, customer: str, sam: str) -> set[str]:
        """Names of the groups an account is directly in."""
        with self._lock:
            domain = self._domains[customer]
            entry = _by_name(domain, sam)
            return {g.first("sAMAccountName") or "" for g in domain.groups_holding(entry.key)}

    def bind(self, customer: str, username: str, password: str) -> tuple[int, str | None]:
        """A simple bind as a user: (0, None), or (49, AD's data code: 52e, 533, 773, 775).

        Bad passwords count, and lock the account at the lab's threshold, as on the DC."""
        with self._lock:
            domain = self._domains[customer]
            login = username.split("@", 1)[0]
            try:
                entry = _by_name(domain, login)
            except KeyError:
                return 49, "52e"
            if domain.is_locked(entry):
                return 49, "775"
            if entry.password_hash != _hash(password):
                count = entry.number("badPwdCount") + 1
                entry.attributes["badpwdcount"] = [str(count)]
                if count >= domain.threshold:
                    entry.attributes["lockouttime"] = [str(filetime_now())]
                return 49, "52e"
            entry.attributes["badpwdcount"] = ["0"]
            if entry.number("userAccountControl") & 0x2:
                return 49, "533"
            if entry.first("pwdLastSet") == "0":
                return 49, "773"
            return 0, None

    # --- plumbing ---

    def _enter(self, operation: str, customer: Customer) -> tuple[_Domain, DirectoryConfig]:
        """What every call does first: the config, the outage switch, the bind, faults."""
        config = directory_of(customer)
        self.calls.append((operation, customer.name))
        if customer.name in self._down:
            raise self.unreachable(customer)
        domain = self._domains.get(customer.name)
        if domain is None:
            raise self.unreachable(customer)  # no fake DC answers for this customer
        if self._credentials is not None:
            self._check_bind(domain, config, self._credentials.directory_credential(customer.name))
        return domain, config

    def _check_bind(
        self, domain: _Domain, config: DirectoryConfig, credential: DirectoryCredential
    ) -> None:
        service = domain.get(credential.bind_dn)
        password = credential.password.get_secret_value()
        if service is None or service.password_hash != _hash(password):
            raise DirectoryBindError(
                f"bind of the service account {credential.bind_dn!r} to {config.url} failed: "
                "invalid credentials (result 49, data 52e)",
                "52e",
            )

    def _call(self, operation: str, customer: Customer, op: Callable[[_Domain], T]) -> T:
        with self._lock:
            domain, _config = self._enter(operation, customer)
            fault = self._faults.take(operation, customer.name)
            if fault is not None and not fault.applied:
                raise fault.error
            answer = op(domain)
            if fault is not None:
                raise fault.error
            return answer

    @staticmethod
    def _search(
        domain: _Domain, base: str, ldap_filter: str, limit: int = 0, base_only: bool = False
    ) -> list[_Entry]:
        parsed = ldap_filters.parse(ldap_filter)
        if base_only:
            entry = domain.get(base)
            scope = [entry] if entry is not None else []
        else:
            scope = domain.under(base)
        found = [entry for entry in scope if domain.matches(entry, parsed)]
        return found[:limit] if limit else found

    # --- DirectoryGateway ---

    def find_dn(self, customer: Customer, username: str, *, fresh: bool = False) -> str | None:
        ldap_filter = filters.user_by_login(username)

        def op(domain: _Domain) -> str | None:
            found = self._search(domain, directory_of(customer).base_dn, ldap_filter, 2)
            if len(found) > 1:
                raise DirectoryError(f"more than one account is named {username!r}; nothing done")
            return found[0].dn if found else None

        return self._call("find_dn", customer, op)

    def find_login(self, customer: Customer, address: str) -> str | None:
        ldap_filter = filters.user_by_address(address)

        def op(domain: _Domain) -> str | None:
            found = self._search(domain, directory_of(customer).base_dn, ldap_filter, 2)
            if len(found) > 1:
                raise DirectoryError(f"more than one account has the address {address!r}")
            return found[0].first("sAMAccountName") if found else None

        return self._call("find_login", customer, op)

    def find_user(self, customer: Customer, dn: str) -> UserEntry | None:
        def op(domain: _Domain) -> UserEntry | None:
            found = self._search(domain, dn, f"(&{filters.USER_CLASS})", base_only=True)
            if not found:
                return None
            return user_entry(found[0].dn, domain.raw(found[0], TARGET_ATTRIBUTES), True)

        return self._call("find_user", customer, op)

    def read_user(self, customer: Customer, dn: str) -> UserEntry:
        def op(domain: _Domain) -> UserEntry:
            user = self.find_user(customer, dn)
            if user is None:
                raise DirectoryError(f"user {dn!r} vanished while it was being read")
            return user

        return self._call("read_user", customer, op)

    def read_person(self, customer: Customer, dn: str) -> Person:
        def op(domain: _Domain) -> Person:
            found = self._search(domain, dn, f"(&{filters.USER_CLASS})", base_only=True)
            if not found:
                raise DirectoryError(f"user {dn!r} vanished while it was being read")
            raw = domain.raw(found[0], PERSON_ATTRIBUTES)
            username = _first(raw, "sAMAccountName") or ""
            return Person(found[0].dn, username, _first(raw, "displayName"), _first(raw, "mail"))

        return self._call("read_person", customer, op)

    def search(self, customer: Customer, ldap_filter: str, limit: int) -> list[UserEntry]:
        config = directory_of(customer)

        def op(domain: _Domain) -> list[UserEntry]:
            users: dict[str, UserEntry] = {}
            for ou in config.user_ous:
                if len(users) >= limit:
                    break
                for entry in self._search(domain, ou, ldap_filter, limit - len(users)):
                    if any(filters.within(entry.dn, scope) for scope in config.user_ous):
                        raw = domain.raw(entry, USER_ATTRIBUTES)
                        users.setdefault(entry.key, user_entry(entry.dn, raw, with_tokens=False))
            return list(users.values())[:limit]

        return self._call("search", customer, op)

    def find_groups(self, customer: Customer, ldap_filter: str) -> list[GroupEntry]:
        def op(domain: _Domain) -> list[GroupEntry]:
            groups = []
            for entry in self._search(domain, directory_of(customer).base_dn, ldap_filter, 50):
                name = entry.first("sAMAccountName") or filters.rdn_value(entry.dn)
                security = bool(entry.number("groupType") & SECURITY_GROUP)
                groups.append(GroupEntry(entry.dn, name, entry.first("objectSid") or "", security))
            return groups

        return self._call("find_groups", customer, op)

    def matches(self, customer: Customer, dn: str, ldap_filter: str) -> bool:
        def op(domain: _Domain) -> bool:
            return bool(self._search(domain, dn, ldap_filter, base_only=True))

        return self._call("matches", customer, op)

    def modify(self, customer: Customer, dn: str, changes: Changes) -> None:
        def op(domain: _Domain) -> None:
            code = self._apply(domain, customer, dn, changes, membership=False)
            if code != SUCCESS:  # pragma: no cover (a plain modify raises on any code)
                raise AssertionError(code)

        self._call("modify", customer, op)

    def set_member(self, customer: Customer, group_dn: str, user_dn: str, member: bool) -> bool:
        change = {"member": [(MODIFY_ADD if member else MODIFY_DELETE, [user_dn])]}

        def op(domain: _Domain) -> bool:
            return self._apply(domain, customer, group_dn, change, membership=True) == SUCCESS

        return self._call("set_member", customer, op)

    # --- writes ---

    def _apply(
        self, domain: _Domain, customer: Customer, dn: str, changes: Changes, membership: bool
    ) -> int:
        """One modify, all or nothing; the result code, or the mapped error raised."""
        what = "membership change" if membership else "modify"
        try:
            staged = self._stage(domain, dn, changes)
        except _RefusedError as refused:
            code = int(refused.result["result"])
            if membership and code in (ENTRY_ALREADY_EXISTS, UNWILLING_TO_PERFORM):
                return code  # already so: nothing changed (68 on add, 53 on delete)
            raise result_error(refused.result, what, dn) from None
        entry, values, password = staged
        entry.attributes.update(values)
        if password is not None:
            entry.password_hash = _hash(password)
        self.writes.append(Write(customer.name, what, entry.dn, tuple(sorted(changes))))
        return SUCCESS

    def _stage(
        self, domain: _Domain, dn: str, changes: Changes
    ) -> tuple[_Entry, dict[str, list[str]], str | None]:
        """The entry, its attributes and new password after the changes (nothing applied
        yet: a modify is all or nothing), or _RefusedError with the DC's result code."""
        entry = domain.get(dn)
        if entry is None:
            raise _RefusedError(NO_SUCH_OBJECT, f"0000208D: NameErr: no such object {dn}")
        allowed = domain.writable(entry)
        for attribute in changes:
            if attribute.lower() not in allowed:
                raise _RefusedError(
                    INSUFFICIENT_ACCESS_RIGHTS,
                    f"00002098: Object {entry.dn} has no write property access",
                )
        staged = {name: list(values) for name, values in entry.attributes.items()}
        new_password: str | None = None
        explicit_pwd_last_set = False
        for attribute, operations in changes.items():
            name = attribute.lower()
            for operation, raw_values in operations:
                values = list(raw_values)
                if name == "unicodepwd":
                    new_password = self._password(operation, values)
                elif name == "member":
                    staged["member"] = self._members(domain, staged, operation, values)
                else:
                    if operation != MODIFY_REPLACE or len(values) != 1:
                        raise _RefusedError(UNWILLING_TO_PERFORM, f"{attribute}: replace one value")
                    staged[name] = [self._single(name, _text(values[0]))]
                    explicit_pwd_last_set |= name == "pwdlastset"
        if "lockouttime" in {name.lower() for name in changes}:
            staged["badpwdcount"] = ["0"]  # an unlock forgets the bad passwords too
        if new_password is not None and not explicit_pwd_last_set:
            staged["pwdlastset"] = [str(filetime_now())]
        return entry, staged, new_password

    @staticmethod
    def _password(operation: str, values: list[Any]) -> str:
        if operation != MODIFY_REPLACE or len(values) != 1:
            # A change (delete old, add new) needs the old password: helpdesk-svc resets only.
            raise _RefusedError(
                UNWILLING_TO_PERFORM, "unicodePwd: only a reset (replace) is allowed"
            )
        password = _decode_password(values[0])
        check_password(password)
        return password

    @staticmethod
    def _single(name: str, value: str) -> str:
        """A replaced integer attribute, as the DC accepts it."""
        try:
            number = int(value)
        except ValueError:
            raise _RefusedError(INVALID_ATTRIBUTE_SYNTAX, f"{name}: not an integer") from None
        if name == "pwdlastset":
            if number not in (0, -1):
                raise _RefusedError(UNWILLING_TO_PERFORM, "pwdLastSet takes 0 or -1 only")
            return "0" if number == 0 else str(filetime_now())
        if name == "lockouttime" and number != 0:
            raise _RefusedError(UNWILLING_TO_PERFORM, "lockoutTime can only be set to 0")
        return str(number)

    @staticmethod
    def _members(
        domain: _Domain, staged: Mapping[str, list[str]], operation: str, values: list[Any]
    ) -> list[str]:
        members = list(staged.get("member", []))
        keys = [normal_dn(m) for m in members]
        for raw in values:
            dn = _text(raw)
            key = normal_dn(dn)
            if operation == MODIFY_ADD:
                if key in keys:
                    raise _RefusedError(
                        ENTRY_ALREADY_EXISTS, "00000562: the member is already there"
                    )
                target = domain.get(dn)
                if target is None:
                    raise _RefusedError(NO_SUCH_OBJECT, f"0000208D: NameErr: no such object {dn}")
                members.append(target.dn)
                keys.append(key)
            elif operation == MODIFY_DELETE:
                if key not in keys:
                    raise _RefusedError(UNWILLING_TO_PERFORM, "00000561: the member is not there")
                index = keys.index(key)
                del members[index], keys[index]
            else:
                raise _RefusedError(UNWILLING_TO_PERFORM, "member: add or delete values only")
        return members


__all__ = ["FakeDirectory", "Write", "check_password"]
