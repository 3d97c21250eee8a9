"""What the verified inventory says about a host's certificate: its names and its TLS port.

These are the only source of a server certificate's subject and SANs; a requester
names an inventory host and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from runner_api.pki.errors import IssuancePolicyError
from runner_api.pki.policy import Identity


@dataclass(frozen=True)
class CertHost:
    """One inventory host that gets certificates."""

    name: str
    address: str
    identity: Identity
    # Where the consuming service answers TLS, for the check from the control side.
    tls_port: int | None
    # cert_install_platform: "windows" hosts get a PFX for their certificate store.
    platform: str = "linux"


def _find_host(node: Any, host: str) -> dict[str, Any] | None:
    if not isinstance(node, dict):
        return None
    hosts = node.get("hosts")
    if isinstance(hosts, dict) and host in hosts:
        return dict(hosts[host] or {})
    for key, value in node.items():
        if key not in ("hosts", "vars"):
            found = _find_host(value, host)
            if found is not None:
                return found
    return None


def cert_host(inventory_dir: Path, host: str) -> CertHost:
    """The host's certificate identity; IssuancePolicyError when the inventory lacks it."""
    for path in sorted(inventory_dir.glob("hosts.y*ml")):
        found = _find_host(yaml.safe_load(path.read_text()), host)
        if found is not None:
            break
    else:
        # Certificates name inventory hosts only: anything else is refused, not looked up.
        raise IssuancePolicyError(f"host {host!r} is not in the customer's inventory")
    names = [str(n) for n in found.get("fixline_cert_names") or [host]]
    if host not in names:
        names.insert(0, host)
    ips = tuple(str(ip) for ip in found.get("fixline_cert_ips") or ())
    port = found.get("fixline_tls_port")
    return CertHost(
        name=host,
        address=str(found.get("ansible_host", host)),
        identity=Identity(common_name=host, dns_names=tuple(names), ip_addresses=ips),
        tls_port=int(port) if port is not None else None,
        platform=str(found.get("cert_install_platform", "linux")),
    )
