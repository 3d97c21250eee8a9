"""VPN access: grant and revoke, each one directory change, one certificate and one playbook."""

from typing import TYPE_CHECKING

from runner_api.exports import lazy_exports
from runner_api.vpn.actions import vpn_actions

if TYPE_CHECKING:
    from runner_api.vpn.executor import VpnExecutor

__all__ = ["VpnExecutor", "vpn_actions"]

# The clients behind these are imported when first used (runner_api/exports.py).
__getattr__ = lazy_exports(
    __name__,
    {
        "VpnExecutor": "executor",
    },
)
