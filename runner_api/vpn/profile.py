"""The client profile (.ovpn): everything a client needs, inline, for one one-time download."""

from __future__ import annotations

from cryptography import x509

from runner_api.customers.models import VpnConfig
from runner_api.pki.authority import fingerprint


def profile_name(username: str, customer: str) -> str:
    """The file's name on the requester's machine, e.g. "ben.carter-lab.ovpn"."""
    return f"{username}-{customer}.ovpn"


def render(vpn: VpnConfig, ca_pem: str, cert: x509.Certificate, cert_pem: str, key_pem: str) -> str:
    """The .ovpn text; it holds the private key, so it only ever travels sealed."""
    return f"""# Fixline VPN profile for {cert.subject.rfc4514_string()}
# certificate serial {cert.serial_number:x}, SHA-256 {fingerprint(cert)},
# valid until {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC
client
dev tun
proto {vpn.proto}
remote {vpn.remote} {vpn.port}
nobind
persist-key
persist-tun
remote-cert-tls server
verify-x509-name {vpn.server_name} name
tls-version-min 1.2
data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305
connect-retry 1
connect-retry-max 3
<ca>
{ca_pem.strip()}
</ca>
<cert>
{cert_pem.strip()}
</cert>
<key>
{key_pem.strip()}
</key>
"""
