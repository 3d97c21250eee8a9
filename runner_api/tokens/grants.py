"""What a caller may hand on: never more than it holds (role, customers, actions, time)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from runner_api.auth.errors import PermissionDeniedError
from runner_api.auth.models import ApiToken
from runner_api.auth.policy import ROLE_PERMISSIONS, Permission
from runner_api.auth.principal import AuthMethod, Principal, Role


def _scope(values: Sequence[str] | None) -> frozenset[str] | None:
    return frozenset(values) if values is not None else None


def require_grantable(
    caller: Principal,
    role: Role,
    customers: Sequence[str] | None,
    actions: Sequence[str] | None,
    expires_at: datetime | None,
) -> None:
    """PermissionDeniedError when a token of this shape would hold more than the caller."""
    granted = ROLE_PERMISSIONS[role.value]
    # A worker executes runs of its customers, which an admin of those customers can
    # start anyway; it is no person's permission, so no person "holds" it.
    held = caller.permissions | (
        {Permission.WORKER_EXECUTE} if Role.ADMIN in caller.roles else set()
    )
    if not granted <= held:
        raise PermissionDeniedError(
            f"a {role.value} token would hold permissions you do not have", reason="grant_role"
        )
    if not caller.covers_customers(_scope(customers)):
        raise PermissionDeniedError(
            "the token would reach customers outside your own scope: name only yours",
            reason="grant_customers",
        )
    if not caller.covers_actions(_scope(actions)):
        raise PermissionDeniedError(
            "the token would run actions you may not run: name only yours",
            reason="grant_actions",
        )
    # A token's life bounds what it hands on; the bootstrap token's does not: handing out
    # the first lasting tokens is what it is for (and it is short-lived itself).
    if (
        caller.method is AuthMethod.TOKEN
        and caller.expires_at is not None
        and (expires_at is None or expires_at > caller.expires_at)
    ):
        raise PermissionDeniedError(
            f"the token would outlive yours: it must expire by {caller.expires_at.isoformat()}",
            reason="grant_expiry",
        )


def token_in_scope(caller: Principal, token: ApiToken) -> bool:
    """Whether a customer-scoped admin may see and revoke this token."""
    return caller.covers_customers(_scope(token.customers))
