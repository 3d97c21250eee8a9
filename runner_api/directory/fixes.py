"""One function per directory action: read, guard, (maybe) write, report a before/after diff."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ldap3 import MODIFY_REPLACE

from runner_api.accounts import vip_check
from runner_api.customers.models import Customer
from runner_api.directory import filters, guardrails
from runner_api.directory.errors import ConnectionLostError, DirectoryError
from runner_api.directory.gateway import (
    ACCOUNTDISABLE,
    Changes,
    DirectoryGateway,
    UserEntry,
)
from runner_api.errors import FixlineError
from runner_api.runs.context import FollowUp, Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.steps import emit

State = dict[str, Any]


@dataclass
class Step:
    """What one action wants: the state now, the state after, and the write that gets there."""

    before: State
    after: State
    changes: Changes = field(default_factory=dict)
    # "unlock jdoe" / "jdoe unlocked": for summaries ("would unlock jdoe").
    what: str = ""
    done: str = ""

    @property
    def changed(self) -> bool:
        return self.before != self.after


def succeeded(ctx: RunContext, step: Step, summary: str, **extra: Any) -> Outcome:
    """A successful Outcome with the step's diff."""
    return Outcome(
        status=RunStatus.SUCCEEDED,
        changed=step.changed and not ctx.check_mode,
        summary=ctx.redactor.text(summary),
        diff={"before": step.before, "after": step.after},
        **extra,
    )


def _replace(**values: str | bytes) -> Changes:
    return {attr: [(MODIFY_REPLACE, [value])] for attr, value in values.items()}


def unlock_step(user: UserEntry) -> Step:
    """lockoutTime=0; nothing else (an unlock never touches the password)."""
    name = user.username
    return Step(
        {"locked": user.locked},
        {"locked": False},
        _replace(lockoutTime="0"),
        f"unlock {name}",
        f"{name} unlocked" if user.locked else f"no change: {name} is not locked",
    )


def enabled_step(user: UserEntry, enable: bool) -> Step:
    """Read-modify-write of the ACCOUNTDISABLE bit of userAccountControl, nothing else."""
    uac = user.user_account_control
    new = uac & ~ACCOUNTDISABLE if enable else uac | ACCOUNTDISABLE
    verb, name = ("enable" if enable else "disable"), user.username
    return Step(
        {"enabled": user.enabled},
        {"enabled": enable},
        _replace(userAccountControl=str(new)),
        f"{verb} {name}",
        f"{name} {verb}d" if user.enabled != enable else f"no change: {name} is already {verb}d",
    )


def reset_step(user: UserEntry, password: str | None, unlock: bool) -> Step:
    """unicodePwd and pwdLastSet=0 (and lockoutTime=0) in ONE modify."""
    before: State = {"must_change_password": user.must_change_password, "password_set": False}
    after: State = {"must_change_password": True, "password_set": True}
    values: dict[str, str | bytes] = {"pwdLastSet": "0"}
    if password is not None:
        values["unicodePwd"] = f'"{password}"'.encode("utf-16-le")
    if unlock:
        before["locked"], after["locked"] = user.locked, False
        if user.locked:
            values["lockoutTime"] = "0"
    name = user.username
    return Step(
        before,
        after,
        _replace(**values),
        f"reset the password of {name}",
        f"password of {name} reset; it must be changed at next logon",
    )


def is_member(
    gateway: DirectoryGateway, customer: Customer, user: UserEntry, group_dn: str
) -> bool:
    """Direct membership, asked of the DC (memberOf of a search may be partial)."""
    return gateway.matches(customer, user.dn, filters.member_of(group_dn))


def member_step(name: str, group: str, was: bool, add: bool) -> Step:
    """Membership of one group (by the account's and group's names): the write is the
    system's own membership call, not a modify of the user."""
    verb, past, prep = ("add", "added to", "to") if add else ("remove", "removed from", "from")
    state = "a member of" if was else "not a member of"
    return Step(
        {"member": was, "group": group},
        {"member": add, "group": group},
        {},
        f"{verb} {name} {prep} {group}",
        f"{name} {past} {group}" if was != add else f"no change: {name} is already {state} {group}",
    )


def unchanged_member(step: Step, name: str, add: bool) -> None:
    """The membership call found it done already (someone else made the same change)."""
    step.after = dict(step.before)
    state = "a member of" if add else "not a member of"
    step.done = f"no change: {name} is already {state} {step.before['group']}"


def with_expiry(
    outcome: Outcome, expires_at: datetime | None, username: str, group: str
) -> Outcome:
    """A granted membership with `expires_at`: the group_remove follow-up that revokes it."""
    if outcome.status is not RunStatus.SUCCEEDED or expires_at is None or not outcome.changed:
        # No follow-up for a membership that existed before: it was not granted here.
        return outcome
    revoke = FollowUp("group_remove", {"username": username, "group": group}, due_at=expires_at)
    summary = f"{outcome.summary} until {expires_at.isoformat()}"
    return replace(outcome, summary=summary, follow_ups=(revoke,))


@dataclass(frozen=True)
class LostAnswer:
    """How a system says "the write was sent and its answer lost", and what a read back of
    the state may raise there."""

    sent: type[FixlineError]
    read_failed: tuple[type[FixlineError], ...]


LDAP_LOST = LostAnswer(ConnectionLostError, (DirectoryError,))


def finish(
    ctx: RunContext,
    step: Step,
    write: Callable[[], object],
    observe: Callable[[], State],
    lost: LostAnswer = LDAP_LOST,
) -> Outcome:
    """The end of a one-write step: check mode and no change answer without the write; else
    the write, and on a lost answer the state read back (`observe`) to tell what happened."""
    if ctx.check_mode and step.changed:
        return succeeded(ctx, step, f"would {step.what}")
    if not step.changed:
        return succeeded(ctx, step, step.done)
    emit(ctx, "change", step.what, **step.after)
    try:
        write()
    except lost.sent as exc:
        ended = reconcile(ctx, step, observe, exc.message, lost.read_failed)
        if ended is not None:
            return ended
    # step.done is read after the write: it may have found the change made already.
    return succeeded(ctx, step, step.done)


def reconcile(
    ctx: RunContext,
    step: Step,
    observe: Callable[[], State],
    lost: str,
    read_failed: tuple[type[FixlineError], ...],
) -> Outcome | None:
    """After a lost answer: None when the state read back shows the change applied, else the
    Outcome to end with (nothing changed, or outcome unknown)."""
    emit(ctx, "reconcile", "connection dropped after the write; reading the account back")
    try:
        now = observe()
    except read_failed as exc:
        return unknown(ctx, step, f"{lost}; reading it back failed too ({exc.message})")
    if now == step.after and now != step.before:
        return None
    if now == step.before:
        return Outcome(
            status=RunStatus.FAILED,
            error=f"{lost}; read back: nothing was changed. Request it again.",
            diff={"before": step.before, "after": now},
        )
    return unknown(ctx, step, f"{lost}; the state read back ({now}) does not tell")


def unknown(ctx: RunContext, step: Step, why: str) -> Outcome:
    """The end of a run whose write may or may not have reached the DC."""
    return Outcome(
        status=RunStatus.FAILED,
        error=ctx.redactor.text(f"outcome unknown: {why}"),
        diff={"before": step.before, "after": None},
        details={"outcome_unknown": True},
    )


def protect(
    gateway: DirectoryGateway,
    ctx: RunContext,
    username: str,
    early: Future[UserEntry] | None = None,
) -> UserEntry:
    """Locate the target and run every guardrail; raises DirectoryRefusedError.

    `early`: the same lookup, started for this run while it was recorded (look_ahead)."""
    if early is not None:
        user = early.result()  # bounded by the connection's timeouts, as the lookup is
    else:
        user = guardrails.locate(gateway, ctx.customer, username)
    guardrails.check_target(gateway, ctx.customer, user)
    vip = vip_check(ctx, user.username)  # the account guardrail's own VIP rule, as for all kinds
    emit(ctx, "guardrails", f"{user.username} is in scope and not protected{vip}", dn=user.dn)
    return user
