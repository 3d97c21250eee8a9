"""Loads customers from inventories/<name>/ (fixline.yml + hosts.yml) at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from runner_api.customers.entra import entra_config, identity
from runner_api.customers.models import (
    Customer,
    DirectoryConfig,
    MailboxBackend,
    MailboxConfig,
    VpnConfig,
)
from runner_api.errors import ConfigurationError, CustomerNotFoundError


def _host_names(node: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "hosts" and isinstance(value, dict):
                names |= {str(host) for host in value}
            elif key != "vars":
                names |= _host_names(value)
    return names


def inventory_hosts(folder: Path) -> frozenset[str]:
    """Host names of the YAML inventory (hosts.yml / hosts.yaml) in a folder."""
    names: set[str] = set()
    for path in folder.glob("hosts.y*ml"):
        names |= _host_names(yaml.safe_load(path.read_text()))
    return frozenset(names)


def load_customer(folder: Path) -> Customer:
    """Read one customer folder; ConfigurationError when it is malformed."""
    config_path = folder / "fixline.yml"
    try:
        config = yaml.safe_load(config_path.read_text()) or {}
        hosts = inventory_hosts(folder)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"customer folder {folder.name}: {exc}") from exc
    allowlists = {
        str(name): frozenset(str(value) for value in values or [])
        for name, values in (config.get("allowlists") or {}).items()
    }
    directory = _directory_config(folder.name, config.get("directory"))
    mailbox = _mailbox_config(folder.name, config.get("mailbox"))
    entra = entra_config(config_path, config.get("entra"))
    if mailbox is not None and mailbox.backend is MailboxBackend.GRAPH and entra is None:
        raise ConfigurationError(
            f"customer {folder.name}: mailbox backend graph reaches Exchange Online through "
            "the customer's Entra ID tenant: add an entra: section"
        )
    notify_manager = config.get("notify_manager", False)
    if not isinstance(notify_manager, bool):
        raise ConfigurationError(f"customer {folder.name}: notify_manager must be true or false")
    return Customer(
        name=folder.name,
        display_name=str(config.get("display_name", folder.name)),
        inventory_dir=folder,
        site=str(config.get("site", "local")),
        hosts=hosts,
        allowlists=allowlists,
        directory=directory,
        mailbox=mailbox,
        notify_manager=notify_manager,
        vip_users=frozenset(str(user).lower() for user in config.get("vip_users") or ()),
        vpn=_vpn_config(folder.name, config.get("vpn"), hosts),
        entra=entra,
        identity=identity(config_path, config.get("identity"), directory, entra),
    )


def _vpn_config(customer: str, raw: Any, hosts: frozenset[str]) -> VpnConfig | None:
    if raw is None:
        return None
    try:
        config = VpnConfig(
            server=str(raw["server"]),
            group=str(raw["group"]),
            remote=str(raw["remote"]),
            server_name=str(raw["server_name"]),
            port=int(raw.get("port", 1194)),
            proto=str(raw.get("proto", "udp")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"customer {customer}: vpn settings invalid: {exc}") from exc
    if config.server not in hosts or config.proto not in ("udp", "tcp"):
        raise ConfigurationError(
            f"customer {customer}: vpn.server must be an inventory host, vpn.proto udp or tcp"
        )
    return config


def _directory_config(customer: str, raw: Any) -> DirectoryConfig | None:
    if raw is None:
        return None
    try:
        return DirectoryConfig(
            url=str(raw["url"]),
            tls_name=str(raw["tls_name"]),
            base_dn=str(raw["base_dn"]),
            user_ous=tuple(str(ou) for ou in raw["user_ous"]),
            protected_groups=tuple(str(g) for g in raw.get("protected_groups") or ()),
            deny_list=tuple(str(u) for u in raw.get("deny_list") or ()),
            timeout_s=float(raw.get("timeout_s", 5.0)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"customer {customer}: directory settings invalid: {exc}") from exc


_AUTH_TYPES = ("ntlm", "basic")
_EWS_ONLY = frozenset({"ews_url", "version", "auth_type"})


def _mailbox_config(customer: str, raw: Any) -> MailboxConfig | None:
    if raw is None:
        return None
    try:
        backend = MailboxBackend(str(raw.get("backend", MailboxBackend.EWS.value)).lower())
    except ValueError:
        choices = ", ".join(b.value for b in MailboxBackend)
        raise ConfigurationError(
            f"customer {customer}: mailbox settings invalid: backend must be one of {choices}"
        ) from None
    try:
        config = MailboxConfig(
            ews_url=str(raw.get("ews_url") or ""),
            accepted_domains=tuple(str(d).lower() for d in raw["accepted_domains"]),
            backend=backend,
            version=str(raw.get("version", "15.1.2507.6")),
            auth_type=str(raw.get("auth_type", "ntlm")).lower(),
            timeout_s=float(raw.get("timeout_s", 10.0)),
        )
        build = [int(part) for part in config.version.split(".")]
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"customer {customer}: mailbox settings invalid: {exc}") from exc
    problems = []
    if backend is MailboxBackend.EWS:
        if not config.ews_url.startswith(("https://", "http://")):
            problems.append("ews_url must be an http(s) URL")
        if len(build) != 4 or build[0] < 15:
            problems.append("version must be an Exchange 2013+ build like 15.1.2507.6")
        if config.auth_type not in _AUTH_TYPES:
            problems.append(f"auth_type must be one of {', '.join(_AUTH_TYPES)}")
    elif set(raw) & _EWS_ONLY:
        # Exchange Online is reached through the customer's entra: tenant, never a URL here.
        problems.append(
            f"{', '.join(sorted(set(raw) & _EWS_ONLY))}: EWS settings, not for backend graph"
        )
    if not config.accepted_domains:
        problems.append("accepted_domains must name at least one domain")
    if not 0 < config.timeout_s <= 120:
        problems.append("timeout_s must be in (0, 120]")
    if problems:
        raise ConfigurationError(
            f"customer {customer}: mailbox settings invalid: {'; '.join(problems)}"
        )
    return config


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
