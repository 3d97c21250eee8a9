"""password_reset: the one action holding a secret, and the one never retried."""

from __future__ import annotations

from concurrent.futures import Executor, Future

from runner_api.directory import temporary_password
from runner_api.directory.affected import read_manager_early, with_affected
from runner_api.directory.errors import ConnectionLostError, DirectoryError
from runner_api.directory.fixes import Step, protect, reset_step, succeeded, unknown
from runner_api.directory.gateway import DirectoryGateway, UserEntry
from runner_api.runs.context import Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.steps import emit


def reset_password(
    ctx: RunContext,
    gateway: DirectoryGateway,
    username: str,
    unlock: bool,
    side: Executor | None = None,
    early: Future[UserEntry] | None = None,
) -> Outcome:
    """Reset to a generated temporary password, must change at next logon; reveal it once.

    `early`: the target's lookup, started while the run was recorded (see protect)."""
    if ctx.check_mode:
        user = protect(gateway, ctx, username, early)
        step = reset_step(user, None, unlock)
        return succeeded(ctx, step, f"would reset the password of {user.username}" + _tail(step))
    if ctx.reveal is None:
        return Outcome(
            status=RunStatus.FAILED,
            error="this run has no way to hand over a temporary password; nothing was changed",
        )
    # Drawn before the DC is asked anything, and known to the redactor at once: whatever
    # fails from here on, no event or error can carry it.
    password = temporary_password.generate([username])
    ctx.redactor.add(password)
    user = protect(gateway, ctx, username, early)
    names = [user.username, user.display_name or ""]
    if not temporary_password.acceptable(password, names):
        # AD complexity also rejects display-name tokens, known only now.
        password = temporary_password.generate(names)
        ctx.redactor.add(password)
    step = reset_step(user, password, unlock)
    emit(ctx, "change", f"setting a temporary password for {user.username}", **step.after)
    manager = read_manager_early(gateway, ctx, user, side)
    ended = _modify_once(ctx, gateway, user, step)
    if ended is not None:
        return ended
    reveal_id = ctx.reveal(password)
    done = succeeded(
        ctx,
        step,
        f"password of {user.username} reset; must be changed at next logon" + _tail(step),
        details={"reveal_id": reveal_id},
    )
    return with_affected(gateway, ctx, user, done, early=manager)


def _tail(step: Step) -> str:
    if "locked" not in step.before:
        return ""
    return "; unlocked" if step.before["locked"] else "; was not locked"


def _modify_once(
    ctx: RunContext, gateway: DirectoryGateway, user: UserEntry, step: Step
) -> Outcome | None:
    """The modify, never repeated; a dropped link is reconciled by reading pwdLastSet."""
    try:
        gateway.modify(ctx.customer, user.dn, step.changes)
        return None
    except ConnectionLostError as exc:
        lost = exc.message
    emit(ctx, "reconcile", "connection dropped after the reset was sent; reading pwdLastSet")
    try:
        now = gateway.read_user(ctx.customer, user.dn)
    except DirectoryError as exc:
        return unknown(ctx, step, f"{lost}; reading pwdLastSet failed too ({exc.message})")
    if user.pwd_last_set != 0 and now.pwd_last_set == 0:
        return None  # only our modify sets it to 0 here: the reset was applied
    if now.pwd_last_set == user.pwd_last_set != 0:
        return Outcome(
            status=RunStatus.FAILED,
            error=f"{lost}; pwdLastSet is unchanged, so the password was not reset. "
            "Request a new reset.",
            diff={"before": step.before, "after": step.before},
        )
    return unknown(
        ctx, step, f"{lost}; pwdLastSet was already 0, so it cannot tell. Request a new reset."
    )
