"""The one table of who may do what. Every route names the permission it needs.

Customer scope and object ownership are checked on top of this (see authorize.py): a role
says what kind of thing a caller may do, the scope says on which customers' objects.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    CATALOG_READ = "catalog:read"
    RUN_CREATE = "run:create"
    RUN_READ = "run:read"
    # Cancel one's own runs; senior agents and admins cancel any run they can see.
    RUN_CANCEL_OWN = "run:cancel-own"
    RUN_CANCEL_ANY = "run:cancel-any"
    # Reveals are opened only by the person who requested the run, whatever their role.
    REVEAL_OPEN = "reveal:open"
    DIRECTORY_SEARCH = "directory:search"
    MAILBOX_READ = "mailbox:read"
    APPROVAL_DECIDE = "approval:decide"
    AUDIT_READ = "audit:read"
    METRICS_READ = "metrics:read"
    TOKENS_MANAGE = "tokens:manage"
    CREDENTIALS_MANAGE = "credentials:manage"
    # Clear a rate limit (recorded and audited): a requester, a target or an action.
    LIMITS_CLEAR = "limits:clear"
    # A site worker claims the runs of its site's customers and reports their events and
    # ends; it receives the run's parameters, secrets included, so no person holds it.
    WORKER_EXECUTE = "worker:execute"


_AGENT = frozenset(
    {
        Permission.CATALOG_READ,
        Permission.RUN_CREATE,
        Permission.RUN_READ,
        Permission.RUN_CANCEL_OWN,
        Permission.REVEAL_OPEN,
        Permission.DIRECTORY_SEARCH,
        Permission.MAILBOX_READ,
    }
)
_SENIOR = _AGENT | {Permission.RUN_CANCEL_ANY, Permission.APPROVAL_DECIDE}
_AUDITOR = frozenset(
    {
        Permission.CATALOG_READ,
        Permission.RUN_READ,
        Permission.AUDIT_READ,
        Permission.METRICS_READ,
    }
)

# Keyed by role value (principal.Role), so this module imports nothing of its own.
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "agent": _AGENT,
    "senior_agent": _SENIOR,
    "auditor": _AUDITOR,
    "admin": frozenset(Permission) - {Permission.WORKER_EXECUTE},
    "worker": frozenset({Permission.WORKER_EXECUTE}),
}
