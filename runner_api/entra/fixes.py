"""The frame of every Entra ID fix: the run's Graph budget, the target's guardrails, and the
end of a one-write step (check mode, diff, a lost answer read back)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from runner_api.accounts import vip_check
from runner_api.customers.models import Customer
from runner_api.directory import fixes
from runner_api.directory.fixes import LostAnswer, State, Step
from runner_api.entra import guardrails
from runner_api.entra.errors import SyncedAccountError
from runner_api.graph.errors import GraphError, GraphNotFoundError, GraphOutcomeUnknownError
from runner_api.graph.gateway import Budget, CloudGroup, CloudUser, GraphCall, GraphGateway
from runner_api.runs.context import Affected, Contact, Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.steps import checkpoint, emit

SYSTEM = "Entra ID"
GRAPH_LOST = LostAnswer(GraphOutcomeUnknownError, (GraphError, GraphNotFoundError))


@dataclass(frozen=True)
class Target:
    """The account a fix acts on, as vetted: the user and its groups (nested included)."""

    user: CloudUser
    groups: list[CloudGroup]


def budget_of(ctx: RunContext) -> Budget:
    """The run's deadline for every Graph call; each call an event with its ids (no body)."""

    def record(call: GraphCall) -> None:
        emit(
            ctx,
            "graph",
            f"{call.method} {call.path}: {call.status or 'no answer'} in {call.elapsed_ms:g} ms",
            method=call.method,
            path=call.path,
            status=call.status,
            request_id=call.request_id,
            client_request_id=call.client_request_id,
            elapsed_ms=call.elapsed_ms,
        )

    return Budget(ctx.deadline, record)


def vip_name(customer: Customer, user: CloudUser) -> str:
    """The name the VIP list holds for this account: its UPN, or the login it is synced from."""
    names = (user.upn, user.on_premises_sam_account_name or "")
    return next((name for name in names if name.lower() in customer.vip_users), user.upn)


def protect(gateway: GraphGateway, ctx: RunContext, username: str, budget: Budget) -> Target:
    """Locate the account and run every guardrail (refusals raise), then stop if the run was
    canceled or ran out of time meanwhile."""
    emit(ctx, "lookup", f"looking up {username} in Entra ID")
    user = guardrails.locate(gateway, ctx.customer, username, budget)
    groups = guardrails.check_target(gateway, ctx.customer, user, budget)
    vip = vip_check(ctx, vip_name(ctx.customer, user))
    origin = "synced from on-premises" if user.on_premises_sync_enabled else "cloud-only"
    emit(
        ctx,
        "guardrails",
        f"{user.upn} ({origin}) is in the customer's domains and not protected{vip}",
        id=user.id,
    )
    checkpoint(ctx, SYSTEM)
    return Target(user, groups)


def cloud_only(user: CloudUser, what: str) -> None:
    """Refuse a change Entra ID cannot make to an account mastered in on-premises AD."""
    if user.on_premises_sync_enabled:
        raise SyncedAccountError(
            f"refused: {user.upn} is synced from on-premises Active Directory "
            f"(onPremisesSyncEnabled), so its {what} is changed there, not in Entra ID; "
            "nothing was changed"
        )


def finish(
    ctx: RunContext, step: Step, write: Callable[[], object], observe: Callable[[], State]
) -> Outcome:
    """Check mode, no change, or the one write; a lost answer is read back (observe)."""
    return fixes.finish(ctx, step, write, observe, GRAPH_LOST)


def with_owner(outcome: Outcome, user: CloudUser, granted: str | None = None) -> Outcome:
    """The outcome naming the account's owner to tell (its mail in Entra ID), when it changed
    the account; Graph's manager is not read, so no manager is told."""
    if outcome.status is not RunStatus.SUCCEEDED or not outcome.changed:
        return outcome
    owner = Contact(user.display_name or user.upn, user.mail)
    return replace(outcome, affected=Affected(user.upn, owner, granted=granted))
