"""What the Microsoft Graph simulator remembers: tenants, apps, users, groups, roles, methods.

Every object lives in one tenant; routes reach a tenant only through a token issued for it,
so one customer's token can never read or change another's objects.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field

from lab.graph.mailboxes import Mailbox

# Well-known role template ids (the same in every tenant).
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
HELPDESK_ADMINISTRATOR = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
PRIVILEGED_AUTHENTICATION_ADMINISTRATOR = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
ROLE_NAMES = {
    GLOBAL_ADMINISTRATOR: "Global Administrator",
    USER_ADMINISTRATOR: "User Administrator",
    HELPDESK_ADMINISTRATOR: "Helpdesk Administrator",
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR: "Privileged Authentication Administrator",
}
# The id Graph gives every user's password method.
PASSWORD_METHOD_ID = "28c10230-6103-485e-b985-444c60001490"  # noqa: S105 (an id)
# Method kinds (the {kind}Methods path segment) that can be the default MFA method: only these
# make the default undeletable while others remain (email and TAP are not MFA defaults).
MFA_KINDS = ("microsoftAuthenticator", "phone", "softwareOath", "fido2")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class AuthMethod:
    """One registered authentication method; `kind` is the {kind}Methods segment."""

    id: str
    kind: str
    created: dt.datetime
    # Kind-specific properties, already in Graph's names and JSON types.
    details: dict[str, object] = field(default_factory=dict)


@dataclass
class User:
    id: str
    user_principal_name: str
    display_name: str
    given_name: str | None = None
    surname: str | None = None
    mail: str | None = None
    job_title: str | None = None
    department: str | None = None
    account_enabled: bool = True
    user_type: str = "Member"
    created: dt.datetime = field(default_factory=utcnow)
    on_premises_sync_enabled: bool | None = None
    on_premises_sam_account_name: str | None = None
    on_premises_immutable_id: str | None = None
    on_premises_domain_name: str | None = None
    # Set on a password reset; kept so tests can check what a reset left behind.
    password: str | None = None
    force_change_password: bool = False
    last_password_change: dt.datetime | None = None
    sign_in_sessions_valid_from: dt.datetime | None = None
    methods: list[AuthMethod] = field(default_factory=list)
    default_method_id: str | None = None
    # The user's Exchange Online mailbox; None without a licence for it.
    mailbox: Mailbox | None = None
    # Monotonic time before which reads do not see the object (replication delay).
    visible_at: float = 0.0


@dataclass
class Group:
    id: str
    display_name: str
    description: str | None = None
    group_types: tuple[str, ...] = ()
    mail_enabled: bool = False
    security_enabled: bool = True
    mail: str | None = None
    mail_nickname: str | None = None
    is_assignable_to_role: bool = False
    on_premises_sync_enabled: bool | None = None
    created: dt.datetime = field(default_factory=utcnow)
    members: list[str] = field(default_factory=list)
    visible_at: float = 0.0


@dataclass(frozen=True)
class RoleAssignment:
    id: str
    principal_id: str
    role_definition_id: str
    directory_scope_id: str = "/"


@dataclass
class App:
    """A registered application: its certificate and what it was granted."""

    client_id: str
    # SHA-1 and SHA-256 fingerprints (hex, lower) of the certificate, and its PEM.
    sha1: str
    sha256: str
    certificate_pem: str
    permissions: set[str] = field(default_factory=set)
    # The app holds Privileged Authentication Administrator: may change admins' credentials.
    privileged: bool = False


@dataclass
class Tenant:
    id: str
    domain: str
    display_name: str
    apps: dict[str, App] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    role_assignments: list[RoleAssignment] = field(default_factory=list)
    # roleTemplateId -> the directoryRole object id of this tenant (activated roles).
    directory_roles: dict[str, str] = field(default_factory=dict)

    def find_user(self, key: str) -> User | None:
        """A user by object id or UPN (case-insensitive), replication aside."""
        found = self.users.get(key.lower())
        if found is not None:
            return found
        lowered = key.lower()
        for user in self.users.values():
            if user.user_principal_name.lower() == lowered:
                return user
        return None

    def find_by_address(self, address: str) -> User | None:
        """A user whose mail address or UPN this is (case-insensitive), replication aside."""
        lowered = address.lower()
        return next(
            (u for u in self.users.values()
             if lowered in {(u.mail or "").lower(), u.user_principal_name.lower()}),
            None,
        )  # fmt: skip

    def groups_of(self, object_id: str) -> list[Group]:
        """Groups the object is in, directly or through nested groups."""
        found: dict[str, Group] = {}
        todo = [object_id]
        while todo:
            member = todo.pop()
            for group in self.groups.values():
                if member in group.members and group.id not in found:
                    found[group.id] = group
                    todo.append(group.id)
        return list(found.values())

    def transitive_assignments(self, principal_id: str) -> list[RoleAssignment]:
        """Role assignments to the principal itself or to any group it is in."""
        principals = {principal_id, *(group.id for group in self.groups_of(principal_id))}
        return [a for a in self.role_assignments if a.principal_id in principals]

    def holds_admin_role(self, user_id: str) -> bool:
        return bool(self.transitive_assignments(user_id))


@dataclass(frozen=True)
class Request:
    """One request as the simulator answered it (the token endpoint included)."""

    method: str
    path: str
    query: str
    request_id: str
    client_request_id: str
    status: int
    tenant_id: str | None = None
    # False when the lost-answer fault closed the connection instead.
    answered: bool = True


class GraphState:
    """All tenants, behind one lock; tests read and change it directly."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tenants: dict[str, Tenant] = {}

    def add_tenant(self, tenant_id: str, domain: str, display_name: str) -> Tenant:
        with self.lock:
            tenant = Tenant(tenant_id.lower(), domain, display_name)
            self.tenants[tenant.id] = tenant
            return tenant

    def tenant(self, key: str) -> Tenant | None:
        """A tenant by id or by its domain, as login.microsoftonline.com accepts both."""
        lowered = key.lower()
        found = self.tenants.get(lowered)
        if found is not None:
            return found
        return next((t for t in self.tenants.values() if t.domain.lower() == lowered), None)


def visible(obj: User | Group) -> bool:
    """False while a replication delay hides a fresh or changed object."""
    return time.monotonic() >= obj.visible_at
