"""Directory fixes on Entra ID accounts through Microsoft Graph (cloud-only and hybrid).

Build: `IdentityRouter(DirectoryExecutor(...), graph_gateway)` for ActionKind.DIRECTORY (it
sends each run to AD or to its `EntraExecutor`, see routing.py); `entra_actions()` adds the
actions only Entra ID has (session_revoke, mfa_reset, temporary_access_pass) to the catalog.
"""

from typing import TYPE_CHECKING

from runner_api.entra.actions import ENTRA_ONLY, entra_actions
from runner_api.exports import lazy_exports

if TYPE_CHECKING:
    from runner_api.entra.executor import EntraExecutor
    from runner_api.entra.routing import IdentityRouter

__all__ = ["ENTRA_ONLY", "EntraExecutor", "IdentityRouter", "entra_actions"]

# The clients behind these are imported when first used (runner_api/exports.py).
__getattr__ = lazy_exports(
    __name__,
    {
        "EntraExecutor": "executor",
        "IdentityRouter": "routing",
    },
)
