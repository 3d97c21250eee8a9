"""Object-level checks on top of the role table: customer scope, action scope, ownership.

Objects of a customer the caller may not see answer 404, as if they did not exist: a 403
would confirm that the run id or customer name is real. Such refusals are marked with
`denial`, so the app audits them (a bounded number per caller) without changing a byte of
the answer.
"""

from __future__ import annotations

from typing import TypeVar

from runner_api.auth.errors import PermissionDeniedError
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.errors import CustomerNotFoundError, FixlineError, RunNotFoundError

E = TypeVar("E", bound=FixlineError)


def denial(error: E, reason: str) -> E:
    """The error, marked as a refusal of something outside the caller's scope (audited)."""
    error.denial = reason
    return error


def require_customer(principal: Principal, customer: str) -> None:
    """CustomerNotFoundError unless the caller's scope covers the customer."""
    if not principal.sees_customer(customer):
        raise denial(CustomerNotFoundError(f"unknown customer {customer!r}"), "customer_scope")


def require_run_visible(principal: Principal, run_id: str, customer: str) -> None:
    """RunNotFoundError unless the run belongs to a customer in the caller's scope."""
    if not principal.sees_customer(customer):
        raise denial(RunNotFoundError(f"no run {run_id}"), "customer_scope")


def require_action(principal: Principal, action: str) -> None:
    """PermissionDeniedError when the caller's token is limited to other actions."""
    if not principal.may_run(action):
        raise PermissionDeniedError(
            f"this token may not run {action!r}", action=action, reason="action_scope"
        )


def require_all_customers(principal: Principal, what: str) -> None:
    """Views across every customer (audit chain, metrics) need an unscoped caller."""
    if not principal.all_customers:
        raise denial(
            PermissionDeniedError(
                f"{what} spans every customer; a customer-scoped caller may not read it",
                reason="customer_scope",
            ),
            "customer_scope",
        )


def may_cancel(principal: Principal, requester_id: str) -> bool:
    """Senior agents and admins cancel any run they see; others only their own (by id)."""
    if principal.has(Permission.RUN_CANCEL_ANY):
        return True
    return principal.has(Permission.RUN_CANCEL_OWN) and requester_id == principal.id
