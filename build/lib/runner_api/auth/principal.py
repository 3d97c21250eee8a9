"""A Principal is whoever a request acts for: an agent's session, an API token, bootstrap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from runner_api.auth.policy import ROLE_PERMISSIONS, Permission


class Role(StrEnum):
    AGENT = "agent"
    SENIOR_AGENT = "senior_agent"
    ADMIN = "admin"
    AUDITOR = "auditor"
    # A machine: `fixline worker --site NAME`, scoped to the customers of its site.
    WORKER = "worker"


class AuthMethod(StrEnum):
    SESSION = "session"
    TOKEN = "token"  # noqa: S105  (a method name, not a secret)
    BOOTSTRAP = "bootstrap"


@dataclass(frozen=True)
class Principal:
    """One caller. `customers` None means every customer; `actions` None means every action.

    `name` is for people to read and need not be unique. `id` is what ownership, reveals,
    approvals and audit records bind to: unique and immutable ("token:<token id>",
    "agent:<objectGUID>"). `person` is the human behind the caller: an agent themself, or
    whoever created the token (the two-person rule compares persons, not callers).
    """

    name: str
    roles: frozenset[Role]
    method: AuthMethod
    id: str
    person: str
    customers: frozenset[str] | None = None
    actions: frozenset[str] | None = None
    # The session or token id: what the audit log names besides the person.
    credential_id: str = ""
    # When the credential stops working (a token's expiry); None: no fixed end.
    expires_at: datetime | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        granted: set[Permission] = set()
        for role in self.roles:
            granted |= ROLE_PERMISSIONS[role.value]
        return frozenset(granted)

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions

    def sees_customer(self, customer: str) -> bool:
        return self.customers is None or customer in self.customers

    def may_run(self, action: str) -> bool:
        return self.actions is None or action in self.actions

    @property
    def all_customers(self) -> bool:
        return self.customers is None

    def covers_customers(self, customers: frozenset[str] | None) -> bool:
        """Whether every one of these customers (None: all) is in this caller's scope."""
        return _within(customers, self.customers)

    def covers_actions(self, actions: frozenset[str] | None) -> bool:
        """Whether this caller may run every one of these actions (None: all)."""
        return _within(actions, self.actions)


def _within(wanted: frozenset[str] | None, held: frozenset[str] | None) -> bool:
    """None is "all": all fits only in all, and anything fits in all."""
    if held is None:
        return True
    return wanted is not None and wanted <= held


def agent_id(object_guid: str) -> str:
    """The principal id of a directory account (its objectGUID never changes)."""
    return f"agent:{object_guid.lower()}"


def token_principal_id(token_id: str) -> str:
    return f"token:{token_id}"


def local_user_id(user: str) -> str:
    """Someone at this machine's shell (the CLI works on the store directly)."""
    return f"os:{user}"
