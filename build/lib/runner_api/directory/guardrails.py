"""Checks before any write: scope, protected accounts, deny list, group allow-list."""

from __future__ import annotations

from runner_api.customers.models import Customer
from runner_api.directory import filters
from runner_api.directory.connections import directory_of
from runner_api.directory.errors import (
    DirectoryError,
    DirectoryObjectNotFoundError,
    GroupNotAllowedError,
    OutOfScopeError,
    ProtectedTargetError,
)
from runner_api.directory.gateway import DirectoryGateway, GroupEntry, UserEntry

# Privileged groups and accounts by well-known RID or SID (names differ by language; SIDs
# do not): Microsoft's AdminSDHolder set ("Appendix C: Protected Accounts and Groups in
# Active Directory"; MS-ADTS 3.1.1.6.1.2), the Windows Server 2016 Key Admins and
# Enterprise Key Admins (they can write msDS-KeyCredentialLink: shadow credentials), and
# Cert Publishers and Group Policy Creator Owners (certificates and GPOs in the directory).
PROTECTED_DOMAIN_RIDS = {
    512: "Domain Admins",
    516: "Domain Controllers",
    517: "Cert Publishers",
    518: "Schema Admins",
    519: "Enterprise Admins",
    520: "Group Policy Creator Owners",
    521: "Read-only Domain Controllers",
    526: "Key Admins",
    527: "Enterprise Key Admins",
}
PROTECTED_BUILTIN_SIDS = {
    "S-1-5-32-544": "Administrators",
    "S-1-5-32-548": "Account Operators",
    "S-1-5-32-549": "Server Operators",
    "S-1-5-32-550": "Print Operators",
    "S-1-5-32-551": "Backup Operators",
    "S-1-5-32-552": "Replicator",
}
# Built-in accounts themselves: Administrator, krbtgt.
PROTECTED_USER_RIDS = {500: "the built-in Administrator", 502: "krbtgt"}
# Privileged groups with no well-known RID, found by sAMAccountName (never translated):
# DnsAdmins can make every DC load a DLL of their choice.
PROTECTED_GROUP_NAMES = ("DnsAdmins",)
GROUPS_ALLOWLIST = "groups"
# S-1-5-21-a-b-c-RID: an account or group of a domain (its own or a trusted one).
_DOMAIN_SID_PARTS = 8


def privileged_name(sid: str) -> str | None:
    """The name of the built-in privileged group a SID is, in any domain; None otherwise.

    RIDs below 1000 are reserved for the well-known ones in every domain, so Domain Admins
    of a trusted domain, or Enterprise Admins of the forest root, count as well.
    """
    if sid in PROTECTED_BUILTIN_SIDS:
        return PROTECTED_BUILTIN_SIDS[sid]
    parts = sid.split("-")
    if len(parts) == _DOMAIN_SID_PARTS and sid.startswith("S-1-5-21-") and parts[-1].isdigit():
        return PROTECTED_DOMAIN_RIDS.get(int(parts[-1]))
    return None


def protected_sids(domain_sid: str) -> dict[str, str]:
    """SID -> name of every built-in privileged group of a domain."""
    sids = {f"{domain_sid}-{rid}": name for rid, name in PROTECTED_DOMAIN_RIDS.items()}
    return sids | PROTECTED_BUILTIN_SIDS


def find_group(gateway: DirectoryGateway, customer: Customer, name: str) -> GroupEntry | None:
    """One group by name; None when there is none (or, oddly, more than one)."""
    found = gateway.find_groups(customer, filters.group_by_name(name))
    return found[0] if len(found) == 1 else None


def privileged_groups(
    gateway: DirectoryGateway, customer: Customer, domain_sid: str
) -> list[GroupEntry]:
    """Every built-in privileged group and the customer's protected groups, as found."""
    by_sid = [f"(objectSid={filters.value(sid)})" for sid in protected_sids(domain_sid)]
    names = (*PROTECTED_GROUP_NAMES, *directory_of(customer).protected_groups)
    by_name = [filters.group_by_name(name) for name in names]
    return gateway.find_groups(
        customer, f"(&(objectClass=group){filters.any_of(by_sid + by_name)})"
    )


def locate(gateway: DirectoryGateway, customer: Customer, username: str) -> UserEntry:
    """The target user, read only once its DN is known to be inside the user OUs.

    The DN may be one remembered from a recent lookup (the picker's search, an earlier
    run): the entry read there must still be that account, else it is looked up again.
    What the guardrails decide on is always read fresh, at that DN.
    """
    config = directory_of(customer)
    for fresh in (False, True):
        dn = gateway.find_dn(customer, username, fresh=fresh)
        if dn is None:
            raise DirectoryObjectNotFoundError(f"no user {username!r} in the directory")
        if not any(filters.within(dn, ou) for ou in config.user_ous):
            if not fresh:
                continue  # maybe moved into scope since it was remembered: ask the DC
            raise OutOfScopeError(
                f"refused: user {username!r} is outside the OUs agents may touch for "
                f"customer {customer.name!r}; nothing was changed"
            )
        user = gateway.find_user(customer, dn)
        if user is not None and (fresh or user.username.lower() == username.lower()):
            return user
    raise DirectoryError(f"user {username!r} vanished while it was being read")


def _protection(gateway: DirectoryGateway, customer: Customer, user: UserEntry) -> str | None:
    config = directory_of(customer)
    if user.username.lower() in {name.lower() for name in config.deny_list}:
        return "it is on the customer's deny list"
    if user.admin_count == 1:
        # adminCount can be stale after a removal: still treated as privileged until reviewed.
        return "it has adminCount=1 (a privileged account, or one that was)"
    rid = int(user.object_sid.rsplit("-", 1)[1]) if user.object_sid else -1
    if rid in PROTECTED_USER_RIDS:
        return f"it is {PROTECTED_USER_RIDS[rid]}"
    if user.token_groups is None:
        return "its group memberships could not be read, so privilege cannot be ruled out"
    return _membership(gateway, customer, user, user.token_groups)


def _membership(
    gateway: DirectoryGateway, customer: Customer, user: UserEntry, tokens: tuple[str, ...]
) -> str | None:
    for sid in tokens:
        if (builtin := privileged_name(sid)) is not None:
            return f"it is a member (direct or nested) of {builtin}"
    for name in PROTECTED_GROUP_NAMES:
        # Absent where DNS is not AD-integrated (then nobody is a member); every group of
        # that name counts, so a look-alike cannot hide the real one.
        for named in gateway.find_groups(customer, filters.group_by_name(name)):
            if named.object_sid in tokens:
                return f"it is a member (direct or nested) of {named.name}"
    for name in directory_of(customer).protected_groups:
        group = find_group(gateway, customer, name)
        if group is None:
            return f"protected group {name!r} could not be found to rule out membership"
        # tokenGroups lists every security group, nested included: for those it is the
        # whole answer. Distribution groups need the in-chain search.
        if group.object_sid in tokens or (
            not group.security
            and gateway.matches(customer, user.dn, filters.member_of(group.dn, nested=True))
        ):
            return f"it is a member (direct or nested) of the protected group {group.name}"
    return None


def check_target(gateway: DirectoryGateway, customer: Customer, user: UserEntry) -> None:
    """Raise ProtectedTargetError for a privileged or deny-listed account."""
    reason = _protection(gateway, customer, user)
    if reason is not None:
        raise ProtectedTargetError(
            f"refused: {user.username!r} is a protected account: {reason}; nothing was changed"
        )


def allowed_group(gateway: DirectoryGateway, customer: Customer, name: str) -> GroupEntry:
    """The group, if it is on the customer's allow-list and not itself privileged."""
    if name not in customer.allowlist(GROUPS_ALLOWLIST):
        raise GroupNotAllowedError(
            f"refused: group {name!r} is not on the {GROUPS_ALLOWLIST!r} allow-list of customer "
            f"{customer.name!r}; nothing was changed"
        )
    group = find_group(gateway, customer, name)
    if group is None:
        raise DirectoryObjectNotFoundError(f"no group {name!r} in the directory")
    names = (*PROTECTED_GROUP_NAMES, *directory_of(customer).protected_groups)
    protected = {n.lower() for n in names}
    if privileged_name(group.object_sid) is not None or group.name.lower() in protected:
        raise GroupNotAllowedError(
            f"refused: group {name!r} is privileged and is never changed here, even when "
            "allow-listed; nothing was changed"
        )
    return group
