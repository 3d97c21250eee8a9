"""Loads customers from inventories/<name>/ (fixline.yml + hosts.yml) at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from runner_api.customers.models import Customer
from runner_api.errors import ConfigurationError, CustomerNotFoundError


def _inventory_hosts(node: Any) -> set[str]:
    hosts: set[str] = set()
    if not isinstance(node, dict):
        return hosts
    hosts |= set((node.get("hosts") or {}).keys())
    for child in (node.get("children") or {}).values():
        hosts |= _inventory_hosts(child)
    return hosts


def load_customer(folder: Path) -> Customer:
    """Read one customer folder; ConfigurationError when it is malformed."""
    config_path = folder / "fixline.yml"
    try:
        config = yaml.safe_load(config_path.read_text()) or {}
        inventory = folder / "hosts.yml"
        data = yaml.safe_load(inventory.read_text()) if inventory.exists() else {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"customer folder {folder.name}: {exc}") from exc
    hosts: set[str] = set()
    for group in (data or {}).values():
        hosts |= _inventory_hosts(group)
    allowlists = {
        str(name): frozenset(str(value) for value in values or [])
        for name, values in (config.get("allowlists") or {}).items()
    }
    return Customer(
        name=folder.name,
        display_name=str(config.get("display_name", folder.name)),
        inventory_dir=folder,
        site=str(config.get("site", "local")),
        hosts=frozenset(hosts),
        allowlists=allowlists,
    )


class CustomerRegistry:
    """All customers with a fixline.yml under the inventories folder."""

    def __init__(self, inventories_dir: Path) -> None:
        self._customers = {
            folder.name: load_customer(folder)
            for folder in sorted(inventories_dir.glob("*/"))
            if (folder / "fixline.yml").is_file()
        }

    def get(self, name: str) -> Customer:
        """The customer; CustomerNotFoundError when unknown."""
        try:
            return self._customers[name]
        except KeyError:
            raise CustomerNotFoundError(f"no customer named {name!r}", customer=name) from None

    def __iter__(self) -> Iterator[Customer]:
        return iter(self._customers.values())
