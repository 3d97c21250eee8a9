"""The seam to a customer's Entra ID tenant: what the fixes need from Microsoft Graph."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pydantic import SecretStr

from runner_api.customers.models import Customer


@dataclass(frozen=True)
class CloudUser:
    """One Entra ID user as the fixes and guardrails need it (never a password)."""

    id: str
    upn: str
    display_name: str | None
    mail: str | None
    account_enabled: bool
    # True for an account synced from on-premises AD: its password, sign-in and groups
    # are mastered there.
    on_premises_sync_enabled: bool
    on_premises_sam_account_name: str | None


class GroupKind(StrEnum):
    SECURITY = "security"
    MICROSOFT365 = "microsoft365"
    # Exchange-mastered: Graph cannot change their members.
    MAIL_ENABLED_SECURITY = "mail_enabled_security"
    DISTRIBUTION = "distribution"


@dataclass(frozen=True)
class CloudGroup:
    id: str
    name: str
    kind: GroupKind
    # isAssignableToRole: members may hold directory roles through it (protected).
    role_assignable: bool


@dataclass(frozen=True)
class Memberships:
    """What one transitiveMemberOf read says about a user."""

    groups: list[CloudGroup]
    roles: list[str]


@dataclass(frozen=True)
class AuthMethod:
    """A registered authentication method; kind is Graph's type name without its suffix
    (`phone`, `microsoftAuthenticator`, `fido2`, `password`, ...)."""

    id: str
    kind: str
    is_default: bool = False


@dataclass(frozen=True)
class TemporaryAccessPass:
    """A pass as issued: its value is in Graph's answer this once, and goes to a reveal."""

    id: str
    value: SecretStr
    lifetime_minutes: int
    usable_once: bool
    start: datetime | None


@dataclass(frozen=True)
class GraphCall:
    """One HTTP exchange with the authority or Graph, as a run records it: never a body."""

    method: str
    # Path only: no query, no host (the customer's config names the host).
    path: str
    # None when no answer came (timeout, dropped connection).
    status: int | None
    client_request_id: str
    request_id: str | None
    elapsed_ms: float


@dataclass(frozen=True)
class Budget:
    """What a run allows its Graph calls: a monotonic deadline for every request and every
    Retry-After wait, and who records each call (e.g. as run events)."""

    deadline: float = math.inf
    record: Callable[[GraphCall], None] | None = field(default=None, compare=False)


UNBOUNDED = Budget()


class GraphGateway(Protocol):
    """Reads and writes one customer's tenant; raises runner_api.graph.errors only.

    Every request carries a fresh `client-request-id`; `budget.record` gets each call with
    Graph's `request-id`. 429 and 503 are retried after their Retry-After when it fits
    both `max_retry_wait_s` and the budget's deadline (else GraphThrottledError). Writes
    are never retried after they may have reached Graph: a lost answer raises
    GraphOutcomeUnknownError."""

    def find_user(
        self, customer: Customer, upn_or_id: str, *, budget: Budget = UNBOUNDED
    ) -> CloudUser | None:
        """The user with this UPN or object id, read now; None when there is none."""
        ...

    def read_user(
        self, customer: Customer, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> CloudUser:
        """find_user, raising GraphNotFoundError when there is none."""
        ...

    def find_synced_user(
        self, customer: Customer, sam_account_name: str, *, budget: Budget = UNBOUNDED
    ) -> CloudUser | None:
        """The user synced from the on-premises account with this sAMAccountName
        (onPremisesSamAccountName); None when there is none, GraphAmbiguousError for several."""
        ...

    def find_by_mail(
        self, customer: Customer, address: str, *, budget: Budget = UNBOUNDED
    ) -> CloudUser | None:
        """The user whose mail is `address`; None when there is none, GraphAmbiguousError
        for several."""
        ...

    def search_users(
        self, customer: Customer, text: str, limit: int, *, budget: Budget = UNBOUNDED
    ) -> list[CloudUser]:
        """Users whose display name, UPN or mail starts with `text` words ($search)."""
        ...

    def set_password(
        self,
        customer: Customer,
        user_id: str,
        password: SecretStr,
        force_change: bool,
        *,
        budget: Budget = UNBOUNDED,
    ) -> None:
        """Set a cloud user's password (and whether it must be changed at next sign-in)."""
        ...

    def set_enabled(
        self, customer: Customer, user_id: str, enabled: bool, *, budget: Budget = UNBOUNDED
    ) -> None:
        """Allow or block sign-in (accountEnabled)."""
        ...

    def revoke_sessions(
        self, customer: Customer, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> None:
        """Invalidate the user's refresh tokens and session cookies."""
        ...

    def list_methods(
        self, customer: Customer, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> list[AuthMethod]:
        """The user's registered authentication methods, password included."""
        ...

    def delete_method(
        self, customer: Customer, user_id: str, method: AuthMethod, *, budget: Budget = UNBOUNDED
    ) -> bool:
        """Remove one method; False when it was already gone."""
        ...

    def create_tap(
        self,
        customer: Customer,
        user_id: str,
        lifetime_minutes: int,
        usable_once: bool,
        *,
        budget: Budget = UNBOUNDED,
    ) -> TemporaryAccessPass:
        """Issue a Temporary Access Pass; its value is shown by Graph this once."""
        ...

    def find_group(
        self, customer: Customer, name: str, *, budget: Budget = UNBOUNDED
    ) -> CloudGroup | None:
        """The group with this display name; None when none has it, GraphAmbiguousError
        when several do."""
        ...

    def add_member(
        self, customer: Customer, group_id: str, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> bool:
        """Add a user to a group; False when it already was a member."""
        ...

    def remove_member(
        self, customer: Customer, group_id: str, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> bool:
        """Remove a user from a group; False when it was not a member."""
        ...

    def memberships(
        self, customer: Customer, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> Memberships:
        """The user's groups and the names of the directory roles it holds, directly or
        through groups: one read serves both (the guardrails need both before every fix)."""
        ...

    def member_of(
        self, customer: Customer, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> list[CloudGroup]:
        """Every group the user is in, nested ones included."""
        ...
