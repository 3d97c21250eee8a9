"""A Principal is whoever a request acts for: an agent's session, an API token, bootstrap."""

from __future__ import annotations

from dataclasses import dataclass
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
    """One caller. `customers` None means every customer; `actions` None means every action."""

    name: str
    roles: frozenset[Role]
    method: AuthMethod
    customers: frozenset[str] | None = None
    actions: frozenset[str] | None = None
    # The session or token id: what the audit log names besides the person.
    credential_id: str = ""

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
