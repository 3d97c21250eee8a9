"""AccountGuard: what start_run and the executors ask about the accounts a run names.

A run that starts at once has its owner vetted on a side thread while its record commits
(`look_ahead`, the run spine's AheadReads): only reads, taken by that run alone when fresh,
their refusals raised in the run at the point it vets. Everything else is vetted in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError, Executor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import partial
from typing import Any

from runner_api.accounts.errors import NoAccountError, VipNotApprovedError
from runner_api.accounts.gateway import Account, AccountDirectory, AccountRef
from runner_api.catalog.models import AccountRole, ActionSpec
from runner_api.customers.models import Customer
from runner_api.errors import ConfigurationError, ExecutorError
from runner_api.runs.context import RunContext
from runner_api.runs.look_ahead import AheadReads
from runner_api.runs.steps import checkpoint, emit

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


@dataclass(frozen=True)
class _Vetted:
    """An account parameter as vetted: its login (None: no account has the address) and
    the account read and checked."""

    login: str | None
    account: Account | None


class AccountGuard:
    """The one guardrail over the accounts of every action kind."""

    def __init__(self, directory: AccountDirectory, side: Executor | None = None) -> None:
        self._directory = directory
        self._side = side or ThreadPoolExecutor(4, thread_name_prefix="fixline-account-read")
        self._ahead: AheadReads[_Vetted] = AheadReads(self._side)

    def look_ahead(
        self,
        run_id: str,
        spec: ActionSpec,
        customer: Customer,
        params: Mapping[str, Any],
        then: Callable[[Account], None] | None = None,
    ) -> None:
        """Start vetting the run's owner (see the module); a read, never a change. `then`
        runs on the same side thread once the owner passed and is no VIP: the executor's
        own first read, which must not come before the guardrails (it must not raise)."""
        owner = next((r for r in account_refs(spec, params) if r.role is AccountRole.OWNER), None)
        if owner is not None:
            self._ahead.start(run_id, owner.value, partial(self._vetted, customer, owner, then))

    def drop_ahead(self, run_id: str) -> None:
        self._ahead.drop(run_id)

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
            found = self._taken(ctx, ref) or self._vetted(ctx.customer, ref)
            if found.account is None:
                emit(ctx, "guardrails", f"{ref.value} ({ref.role}) is no account of the customer")
                continue
            account = found.account
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

    def _vetted(
        self, customer: Customer, ref: AccountRef, then: Callable[[Account], None] | None = None
    ) -> _Vetted:
        login = self._login(customer, ref)
        vetted = _Vetted(login, None if login is None else self._directory.vet(customer, login))
        account = vetted.account
        if (
            then is not None
            and account is not None
            and account.username.lower() not in (customer.vip_users)
        ):
            then(account)
        return vetted

    def _taken(self, ctx: RunContext, ref: AccountRef) -> _Vetted | None:
        """What was vetted ahead for this run and account (its refusal raised here); None
        when nothing was (the caller vets now)."""
        read = self._ahead.take(ctx.run_id, ref.value)
        if read is None:
            return None
        try:
            return read.result(timeout=max(ctx.time_left(), 0.0))
        except CancelledError:
            return None
        except FutureTimeout:
            checkpoint(ctx, "accounts")  # the run's time is spent: it times out here
            raise

    def _login(self, customer: Customer, ref: AccountRef) -> str | None:
        if not ref.by_address:
            return ref.value
        owner = self._directory.owner_of(customer, ref.value)
        if owner is None and ref.role is not AccountRole.RECIPIENT:
            # A recipient may be a group or a contact; whom a mailbox or a right belongs to
            # must be known to be checked.
            raise NoAccountError(
                f"refused: no account of customer {customer.name} has the address "
                f"{ref.value} ({ref.role}), so it cannot be checked; nothing was changed"
            )
        return owner
