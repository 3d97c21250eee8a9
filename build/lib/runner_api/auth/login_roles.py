"""Roles and customers of an agent, from the names of the directory groups they are in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from runner_api.auth.principal import Role

# Roles whose work spans every customer (audit trail, administration).
_EVERY_CUSTOMER = frozenset({Role.ADMIN, Role.AUDITOR})


@dataclass(frozen=True)
class Grant:
    """What the groups give: roles, and customers (None: every customer)."""

    roles: frozenset[Role]
    customers: frozenset[str] | None


@dataclass(frozen=True)
class RoleMapping:
    """Role -> group name, and the prefix of per-customer groups (names match case-blind)."""

    role_groups: Mapping[str, str]
    customer_group_prefix: str

    def grant(self, groups: Iterable[str]) -> Grant:
        """The union of the roles the groups map to, and the customers they name."""
        names = {group.casefold(): group for group in groups}
        roles = frozenset(
            Role(role) for role, group in self.role_groups.items() if group.casefold() in names
        )
        prefix = self.customer_group_prefix.casefold()
        customers = frozenset(
            name[len(prefix) :]
            for folded, name in names.items()
            if folded.startswith(prefix) and len(folded) > len(prefix)
        )
        # An admin sees every customer; so does an auditor, unless also an agent: the
        # agent's write rights must not spread to every customer through the audit role.
        every = Role.ADMIN in roles or (bool(roles) and roles <= _EVERY_CUSTOMER)
        return Grant(roles, None if every else customers)
