"""A customer of the helpdesk, as read from inventories/<name>/."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


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

    def allowlist(self, name: str) -> frozenset[str]:
        """The values of one allow-list; empty when the customer has none."""
        return self.allowlists.get(name, frozenset())
