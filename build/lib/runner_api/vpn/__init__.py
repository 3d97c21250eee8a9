"""VPN access: grant and revoke, each one directory change, one certificate and one playbook."""

from runner_api.vpn.actions import vpn_actions
from runner_api.vpn.executor import VpnExecutor

__all__ = ["VpnExecutor", "vpn_actions"]
