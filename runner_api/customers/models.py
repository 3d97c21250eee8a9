"""A customer of the helpdesk, as read from inventories/<name>/."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Identity(StrEnum):
    """Where a customer's accounts live: Active Directory, Entra ID, or AD synced to Entra ID."""

    AD = "ad"
    ENTRA = "entra"
    HYBRID = "hybrid"


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


class MailboxBackend(StrEnum):
    """How Fixline reaches a customer's mailboxes."""

    # On-premises Exchange Server through EWS (exchangelib).
    EWS = "ews"
    # Exchange Online through Microsoft Graph, with the customer's `entra:` tenant and app.
    GRAPH = "graph"


@dataclass(frozen=True)
class MailboxConfig:
    """Where a customer's mailboxes are and which mail domains are the customer's own."""

    # https://mail.corp/EWS/Exchange.asmx (http:// only for the lab simulator); EWS only.
    ews_url: str
    # Mail domains of the customer: target mailboxes, colleagues and forwarding must be in them.
    accepted_domains: tuple[str, ...]
    backend: MailboxBackend = MailboxBackend.EWS
    # Pinned Exchange build ("15.1.2507.6" = 2016 CU23): no version probe is ever sent.
    version: str = "15.1.2507.6"
    # "ntlm" (on-premises default) or "basic" (the lab simulator); pinned, never probed.
    auth_type: str = "ntlm"
    # Seconds per EWS request before a run fails with "Exchange unreachable".
    timeout_s: float = 10.0


@dataclass(frozen=True)
class EntraConfig:
    """The customer's Entra ID tenant, reached through Microsoft Graph with an app's token."""

    # The tenant's GUID (or its .onmicrosoft.com name); the authority is <authority_host>/<id>.
    tenant_id: str
    # Mail and UPN domains of the customer: target accounts must be in them.
    accepted_domains: tuple[str, ...]
    # https only: msal refuses any other authority. Another host is a national cloud or
    # a simulator (then msal's instance discovery is skipped).
    authority_host: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com/v1.0"
    # Groups (display names) beyond the role-assignable ones whose members are protected.
    protected_groups: tuple[str, ...] = ()
    # User principal names (lower case) never touched, whatever their roles.
    deny_list: tuple[str, ...] = ()
    # Seconds per Graph or token request before a run fails with "Graph unreachable".
    timeout_s: float = 10.0
    # The longest Retry-After (429/503) honoured; a longer one ends the run as throttled.
    max_retry_wait_s: float = 30.0


@dataclass(frozen=True)
class VpnConfig:
    """The customer's VPN: the inventory host serving it, its user group, how clients reach it."""

    # Inventory host running OpenVPN; the vpn_access role manages its clients.
    server: str
    # Directory group of VPN users (must be on the `groups` allow-list too).
    group: str
    # Address and port clients connect to, and the name in the server's certificate.
    remote: str
    server_name: str
    port: int = 1194
    proto: str = "udp"


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
    mailbox: MailboxConfig | None = None
    # Tell the account owner's manager too after a reset, unlock or grant.
    notify_manager: bool = False
    # sAMAccountNames (lower case) whose password resets, and the changes to whose mailbox
    # that give access, forward or answer for them, wait for a second person's approval
    # (ActionSpec.vip_approval): executives and others worth a phishing call.
    vip_users: frozenset[str] = frozenset()
    vpn: VpnConfig | None = None
    entra: EntraConfig | None = None
    # `ad` unless only `entra:` is set (then `entra`); `hybrid` needs both.
    identity: Identity = Identity.AD

    def allowlist(self, name: str) -> frozenset[str]:
        """The values of one allow-list; empty when the customer has none."""
        return self.allowlists.get(name, frozenset())
