"""A run's target account in Entra ID: found and vetted once per run, read ahead when it can.

A run that starts at once has its account and that account's memberships read on a side
thread while its record commits (IdentityRouter.look_ahead, the same AheadReads as the AD
lookup); the run takes them if fresh, and records their Graph calls as its own events
then, in order, with Graph's request ids. In a hybrid customer the router's lookup is
handed on the same way, so the executor does not read the account a second time.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import CancelledError, Executor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from functools import partial

from runner_api.accounts import vip_check
from runner_api.customers.models import Customer
from runner_api.entra import guardrails
from runner_api.graph.errors import GraphUnavailableError
from runner_api.graph.gateway import (
    Budget,
    CloudGroup,
    CloudUser,
    GraphCall,
    GraphGateway,
    Memberships,
)
from runner_api.runs.context import RunContext
from runner_api.runs.look_ahead import AheadReads
from runner_api.runs.steps import checkpoint, emit

SYSTEM = "Entra ID"


@dataclass(frozen=True)
class Target:
    """The account a fix acts on, as vetted: the user and its groups (nested included)."""

    user: CloudUser
    groups: list[CloudGroup]


@dataclass(frozen=True)
class EarlyRead:
    """What was read for a run before it reached its lookup: the account (None: no such
    account), its memberships when read, the Graph calls made, and an error to raise in the
    run (after those calls are recorded there)."""

    user: CloudUser | None
    memberships: Memberships | None = None
    calls: tuple[GraphCall, ...] = ()
    error: Exception | None = None


def read_early(gateway: GraphGateway, customer: Customer, username: str) -> EarlyRead:
    """The account and its memberships (the guardrails need both, wherever it is fixed).

    No deadline of its own: each request is bounded by the customer's entra.timeout_s and
    every Retry-After by max_retry_wait_s; the run waits for it only within its budget."""
    calls: list[GraphCall] = []
    budget = Budget(record=calls.append)
    user: CloudUser | None = None
    try:
        user = guardrails.find(gateway, customer, username, budget)
        memberships = None
        if user is not None and guardrails.in_domains(customer, user.upn):
            memberships = gateway.memberships(customer, user.id, budget=budget)
    except Exception as exc:  # raised again in the run that takes this read
        return EarlyRead(user, calls=tuple(calls), error=exc)
    return EarlyRead(user, memberships, tuple(calls))


class Targets:
    """Finds and vets the target of a run, from a read made ahead for it when there is one."""

    def __init__(self, gateway: GraphGateway, side: Executor) -> None:
        self.gateway = gateway
        self._ahead: AheadReads[EarlyRead] = AheadReads(side)

    def read_ahead(self, run_id: str, customer: Customer, username: str) -> None:
        """Start reading the run's account (see read_early); only reads, never a write."""
        read = partial(read_early, self.gateway, customer, username)
        self._ahead.start(run_id, username, read)

    def drop(self, run_id: str) -> None:
        self._ahead.drop(run_id)

    def find(self, ctx: RunContext, username: str, budget: Budget) -> CloudUser | None:
        """The account named by a UPN or a synced sAMAccountName (guardrails.find), kept for
        this run's protect() under its UPN."""
        early = self._take(ctx, username, budget)
        if early is None:
            early = EarlyRead(guardrails.find(self.gateway, ctx.customer, username, budget))
        if early.user is not None:
            self._ahead.hand(ctx.run_id, early.user.upn, replace(early, calls=()))
        return early.user

    def protect(self, ctx: RunContext, username: str, budget: Budget) -> Target:
        """Locate the account and run every guardrail (refusals raise), then stop if the run
        was canceled or ran out of time meanwhile."""
        emit(ctx, "lookup", f"looking up {username} in Entra ID")
        early = self._take(ctx, username, budget)
        if early is None:
            user = guardrails.locate(self.gateway, ctx.customer, username, budget)
            known = None
        else:
            user = guardrails.exists(ctx.customer, username, early.user)
            known = early.memberships
        groups = guardrails.check_target(self.gateway, ctx.customer, user, budget, known)
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

    def check_synced(self, ctx: RunContext, user: CloudUser, budget: Budget) -> None:
        """Entra ID's guardrails for an account fixed in AD: refusals raise (a directory role,
        a role-assignable or protected group, the deny list of `entra:`)."""
        early = self._take(ctx, user.upn, budget)  # what find() kept for this run
        known = early.memberships if early is not None else None
        guardrails.check_target(self.gateway, ctx.customer, user, budget, known)
        emit(
            ctx, "guardrails", f"{user.upn}, synced to Entra ID, is not protected there", id=user.id
        )

    def _take(self, ctx: RunContext, username: str, budget: Budget) -> EarlyRead | None:
        """The fresh read kept for this run and account, its calls recorded in the run now;
        None when there is none (the caller reads itself)."""
        read = self._ahead.take(ctx.run_id, username)
        if read is None:
            return None
        left = ctx.deadline - time.monotonic()
        try:
            early = read.result(timeout=None if math.isinf(left) else max(left, 0.0))
        except CancelledError:
            return None
        except FutureTimeout:
            raise GraphUnavailableError(
                f"looking up {username}: the run's time budget is spent"
            ) from None
        if budget.record is not None:
            for call in early.calls:
                budget.record(call)
        if early.error is not None:
            raise early.error
        return early


def vip_name(customer: Customer, user: CloudUser) -> str:
    """The name the VIP list holds for this account: its UPN, or the login it is synced from."""
    names = (user.upn, user.on_premises_sam_account_name or "")
    return next((name for name in names if name.lower() in customer.vip_users), user.upn)
