"""AccountGuard: what start_run and the executors ask about the accounts a run names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner_api.accounts.errors import NoAccountError, VipNotApprovedError
from runner_api.accounts.gateway import Account, AccountDirectory, AccountRef
from runner_api.catalog.models import AccountRole, ActionSpec
from runner_api.customers.models import Customer
from runner_api.errors import ConfigurationError, ExecutorError
from runner_api.runs.context import RunContext
from runner_api.runs.steps import emit

VIP_USER = "vip_user"
VIP_UNVERIFIED = "vip_unverified"


def account_refs(spec: ActionSpec, params: Mapping[str, Any]) -> list[AccountRef]:
    """The accounts a run's parameters name, as its action declares them."""
    return [
        AccountRef(param, role, value)
        for param, role in spec.accounts.items()
        if isinstance(value := params.get(param), str) and value
    ]


def vip_check(ctx: RunContext, username: str) -> str:
    """For the owner of a run: VipNotApprovedError when it is a VIP, the action waits for
    VIPs, and nobody approved; else the words the guardrails event adds ("" or "VIP ...")."""
    if username.lower() not in ctx.customer.vip_users:
        return ""
    if not ctx.action.vip_approval:
        return "; a VIP (this action needs no approval)"
    if ctx.approved_by is None:
        # start_run holds such runs: this one was not, so the list or the address changed.
        raise VipNotApprovedError(
            f"refused: {username} is on the VIP list of customer {ctx.customer.name}, and "
            f"{ctx.action.name} on a VIP waits for a second person's approval, which this "
            "run does not have; request it again to have it approved; nothing was changed"
        )
    return f"; a VIP, approved by {ctx.approved_by}"


class AccountGuard:
    """The one guardrail over the accounts of every action kind."""

    def __init__(self, directory: AccountDirectory) -> None:
        self._directory = directory

    def holds(
        self, spec: ActionSpec, customer: Customer, params: Mapping[str, Any]
    ) -> list[tuple[str, str]]:
        """(rule, reason) for each owner that makes this run wait (start_run, approvals)."""
        if not spec.vip_approval:
            return []
        owners = [ref for ref in account_refs(spec, params) if ref.role is AccountRole.OWNER]
        return [hold for ref in owners if (hold := self._hold(customer, ref)) is not None]

    def _hold(self, customer: Customer, ref: AccountRef) -> tuple[str, str] | None:
        if ref.value.lower() in customer.vip_users:
            # A login, or a user principal name as an Entra ID customer lists its VIPs.
            return (VIP_USER, f"{ref.value} is on the VIP list of customer {customer.name}")
        if not ref.by_address:
            return None
        try:
            owner = self._directory.owner_of(customer, ref.value)
        except ConfigurationError:
            return None  # no directory: the executor cannot vet the run and fails it
        except ExecutorError as exc:
            # Fail closed: a second person decides what could not be looked up.
            why = f"the account of {ref.value} could not be looked up ({exc.message})"
            return (VIP_UNVERIFIED, f"{why}, so a VIP owner cannot be ruled out")
        if owner is None or owner.lower() not in customer.vip_users:
            return None
        return (
            VIP_USER,
            f"{ref.value} is the mailbox of {owner}, on the VIP list of customer {customer.name}",
        )

    def vet(self, ctx: RunContext) -> list[Account]:
        """Every account the run names, read now and checked; refusals raise RefusedError."""
        vetted = []
        for ref in account_refs(ctx.action, ctx.params):
            username = self._login(ctx, ref)
            if username is None:
                emit(ctx, "guardrails", f"{ref.value} ({ref.role}) is no account of the customer")
                continue
            account = self._directory.vet(ctx.customer, username)
            vip = vip_check(ctx, account.username) if ref.role is AccountRole.OWNER else ""
            emit(
                ctx,
                "guardrails",
                f"{ref.value} ({ref.role}): account {account.username}, in scope and not "
                f"protected{vip}",
                param=ref.param,
                role=ref.role.value,
                account=account.username,
                dn=account.location,
            )
            vetted.append(account)
        return vetted

    def _login(self, ctx: RunContext, ref: AccountRef) -> str | None:
        if not ref.by_address:
            return ref.value
        owner = self._directory.owner_of(ctx.customer, ref.value)
        if owner is None and ref.role is not AccountRole.RECIPIENT:
            # A recipient may be a group or a contact; whom a mailbox or a right belongs to
            # must be known to be checked.
            raise NoAccountError(
                f"refused: no account of customer {ctx.customer.name} has the address "
                f"{ref.value} ({ref.role}), so it cannot be checked; nothing was changed"
            )
        return owner
