"""Directory fixes on Entra ID accounts through Microsoft Graph (cloud-only and hybrid).

Build: `EntraExecutor(graph_gateway)` runs the directory actions on cloud accounts;
`entra_actions()` adds the actions only Entra ID has (session_revoke, mfa_reset,
temporary_access_pass) to the catalog.
"""

from runner_api.entra.actions import ENTRA_ONLY, entra_actions
from runner_api.entra.executor import EntraExecutor

__all__ = ["ENTRA_ONLY", "EntraExecutor", "entra_actions"]
