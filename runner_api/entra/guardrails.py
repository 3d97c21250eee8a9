"""Checks before any write to Entra ID: the account's tenant and domain, its protection
(deny list, directory roles, role-assignable and protected groups), the group allow-list."""

from __future__ import annotations

from runner_api.customers.models import Customer
from runner_api.directory.errors import GroupNotAllowedError, OutOfScopeError, ProtectedTargetError
from runner_api.entra.errors import NoCloudAccountError
from runner_api.graph.gateway import (
    Budget,
    CloudGroup,
    CloudUser,
    GraphGateway,
    GroupKind,
    Memberships,
)
from runner_api.graph.http_gateway import entra_of

GROUPS_ALLOWLIST = "groups"
# Group kinds whose members Graph cannot change: Exchange Online masters them.
EXCHANGE_KINDS = {
    GroupKind.MAIL_ENABLED_SECURITY: "a mail-enabled security group",
    GroupKind.DISTRIBUTION: "a distribution list",
}
NOTHING = "nothing was changed"


def in_domains(customer: Customer, upn: str) -> bool:
    """True when the UPN's domain is one of the customer's accepted domains."""
    domain = upn.rpartition("@")[2].lower()
    return "@" in upn and domain in entra_of(customer).accepted_domains


def _outside(customer: Customer, upn: str) -> OutOfScopeError:
    domains = ", ".join(entra_of(customer).accepted_domains)
    return OutOfScopeError(
        f"refused: {upn!r} is outside the accepted domains of customer {customer.name!r} "
        f"({domains}); {NOTHING}"
    )


def find(
    gateway: GraphGateway, customer: Customer, username: str, budget: Budget
) -> CloudUser | None:
    """The account named by a UPN, or by the sAMAccountName it is synced from."""
    if "@" in username:
        if not in_domains(customer, username):
            raise _outside(customer, username)  # before Graph is asked anything
        return gateway.find_user(customer, username, budget=budget)
    return gateway.find_synced_user(customer, username, budget=budget)


def locate(gateway: GraphGateway, customer: Customer, username: str, budget: Budget) -> CloudUser:
    """find, refusing when no account of the customer's tenant has that name."""
    return exists(customer, username, find(gateway, customer, username, budget))


def exists(customer: Customer, username: str, user: CloudUser | None) -> CloudUser:
    """The account found for `username`; a refusal when there was none."""
    if user is None:
        how = "" if "@" in username else " (looked up as an on-premises sAMAccountName)"
        raise NoCloudAccountError(
            f"refused: no account {username!r} in the Entra ID tenant of customer "
            f"{customer.name!r}{how}; {NOTHING}"
        )
    return user


def protection(
    customer: Customer, user: CloudUser, groups: list[CloudGroup], roles: list[str]
) -> str | None:
    """Why the account is protected (deny list, a directory role, a role-assignable or
    protected group), from its transitive groups and roles; None when it is not."""
    config = entra_of(customer)
    names = {user.upn.lower(), (user.on_premises_sam_account_name or "").lower()}
    if names & set(config.deny_list):
        return "it is on the customer's deny list"
    if roles:
        return f"it holds the directory role {', '.join(roles)} (directly or through a group)"
    for group in groups:
        if group.role_assignable:
            return f"it is a member of the role-assignable group {group.name}"
    protected = {name.lower() for name in config.protected_groups}
    for group in groups:
        if group.name.lower() in protected:
            return f"it is a member (direct or nested) of the protected group {group.name}"
    return None


def check_target(
    gateway: GraphGateway,
    customer: Customer,
    user: CloudUser,
    budget: Budget,
    known: Memberships | None = None,
) -> list[CloudGroup]:
    """Raise a refusal for an account outside the domains or protected; else its groups
    (nested included): `known` when read for this run already, else read now."""
    if not in_domains(customer, user.upn):
        raise _outside(customer, user.upn)
    found = known if known is not None else gateway.memberships(customer, user.id, budget=budget)
    groups = found.groups
    reason = protection(customer, user, groups, found.roles)
    if reason is not None:
        raise ProtectedTargetError(
            f"refused: {user.upn!r} is a protected account: {reason}; {NOTHING}"
        )
    return groups


def allowed_group(
    gateway: GraphGateway, customer: Customer, name: str, budget: Budget
) -> CloudGroup:
    """The group, if allow-listed, changeable through Graph and not itself protected."""
    if name not in customer.allowlist(GROUPS_ALLOWLIST):
        raise GroupNotAllowedError(
            f"refused: group {name!r} is not on the {GROUPS_ALLOWLIST!r} allow-list of customer "
            f"{customer.name!r}; {NOTHING}"
        )
    group = gateway.find_group(customer, name, budget=budget)
    if group is None:
        raise GroupNotAllowedError(
            f"refused: no group {name!r} in the Entra ID tenant of customer {customer.name!r}; "
            f"{NOTHING}"
        )
    if group.kind in EXCHANGE_KINDS:
        raise GroupNotAllowedError(
            f"refused: group {name!r} is {EXCHANGE_KINDS[group.kind]}: Exchange Online owns its "
            f"members and Microsoft Graph cannot change them (use the Exchange admin center); "
            f"{NOTHING}"
        )
    protected = {n.lower() for n in entra_of(customer).protected_groups}
    if group.role_assignable or group.name.lower() in protected:
        why = "role-assignable (its members may hold directory roles)"
        raise GroupNotAllowedError(
            f"refused: group {name!r} is {why if group.role_assignable else 'protected'} and "
            f"is never changed here, even when allow-listed; {NOTHING}"
        )
    return group
