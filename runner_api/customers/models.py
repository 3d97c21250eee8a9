"""A customer of the helpdesk, as read from inventories/<name>/."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DirectoryConfig:
    """Where a customer's Active Directory is and what agents may touch in it."""

    # ldaps://host:636 (or ldap://host:389, upgraded with StartTLS); TLS is always verified.
    url: str
    # Name the DC's certificate must carry (connecting by IP needs it).
    tls_name: str
    base_dn: str
    # OUs whose users agents may touch (the scope); nothing outside them is read or written.
    user_ous: tuple[str, ...]
    # Groups beyond the built-in privileged ones whose members are protected (names).
    protected_groups: tuple[str, ...] = ()
    # sAMAccountNames never touched, whatever their groups.
    deny_list: tuple[str, ...] = ()
    # Seconds to wait for the DC before a run fails with "directory unreachable".
    timeout_s: float = 5.0


@dataclass(frozen=True)
class Customer:
    """One customer: its inventory, its site and what its agents may touch."""

    name: str
    display_name: str
    inventory_dir: Path
    site: str = "local"
    hosts: frozenset[str] = frozenset()
    # allow-list name -> allowed values (e.g. "services" -> {"nginx"}).
    allowlists: Mapping[str, frozenset[str]] = field(default_factory=dict)
    directory: DirectoryConfig | None = None

    def allowlist(self, name: str) -> frozenset[str]:
        """The values of one allow-list; empty when the customer has none."""
        return self.allowlists.get(name, frozenset())
