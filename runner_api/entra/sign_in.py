"""The fixes of how a cloud user signs in: a temporary password, a Temporary Access Pass
(both revealed once, never in an event), and an MFA reset."""

from __future__ import annotations

from pydantic import SecretStr

from runner_api.directory import temporary_password
from runner_api.directory.actions import PasswordResetParams
from runner_api.directory.fixes import Step, succeeded, unknown
from runner_api.entra.actions import MfaResetParams, TemporaryAccessPassParams
from runner_api.entra.fixes import cloud_only, with_owner
from runner_api.entra.targets import Targets
from runner_api.graph.errors import GraphOutcomeUnknownError, GraphRefusedError
from runner_api.graph.gateway import AuthMethod, Budget, CloudUser, GraphGateway
from runner_api.graph.run_budget import budget_of
from runner_api.runs.context import Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.steps import checkpoint, emit

NO_REVEAL = Outcome(
    status=RunStatus.FAILED,
    error="this run has no way to hand over a secret once; nothing was changed",
)


def reset_password(targets: Targets, ctx: RunContext) -> Outcome:
    """A generated temporary password that must be changed at next sign-in; revealed once."""
    params = PasswordResetParams.model_validate(ctx.params)
    budget = budget_of(ctx)
    if ctx.check_mode:
        user = targets.protect(ctx, params.username, budget).user
        cloud_only(user, "password")
        return succeeded(ctx, _reset_step(user), f"would reset the password of {user.upn}")
    if ctx.reveal is None:
        return NO_REVEAL
    # Drawn and known to the redactor before Graph is asked anything (see the AD reset).
    password = temporary_password.generate([params.username])
    ctx.redactor.add(password)
    user = targets.protect(ctx, params.username, budget).user
    cloud_only(user, "password")
    names = [user.upn.partition("@")[0], user.display_name or ""]
    if not temporary_password.acceptable(password, names):
        password = temporary_password.generate(names)
        ctx.redactor.add(password)
    step = _reset_step(user)
    emit(ctx, "change", f"setting a temporary password for {user.upn}", **step.after)
    try:
        targets.gateway.set_password(
            ctx.customer, user.id, SecretStr(password), True, budget=budget
        )
    except GraphOutcomeUnknownError as exc:
        # Graph shows no trace of a reset to read back: the caller needs a password it knows.
        return unknown(ctx, step, f"{exc.message}. Request a new reset.")
    reveal_id = ctx.reveal(password)
    summary = f"password of {user.upn} reset; must be changed at next sign-in"
    if params.unlock:
        summary += "; Entra ID has no lockout to clear (smart lockout ends by itself)"
    done = succeeded(ctx, step, summary, details={"reveal_id": reveal_id})
    return with_owner(done, user)


def _reset_step(user: CloudUser) -> Step:
    return Step(
        {"password_set": False},
        {"password_set": True, "must_change_password": True},
        what=f"reset the password of {user.upn}",
    )


def temporary_access_pass(targets: Targets, ctx: RunContext) -> Outcome:
    """Issue a Temporary Access Pass; its value goes to a one-time reveal, nowhere else."""
    params = TemporaryAccessPassParams.model_validate(ctx.params)
    budget = budget_of(ctx)
    user = targets.protect(ctx, params.username, budget).user
    terms = {"lifetime_minutes": params.lifetime_minutes, "usable_once": params.usable_once}
    step = Step({"pass_issued": False}, {"pass_issued": True, **terms})
    if ctx.check_mode:
        return succeeded(ctx, step, f"would issue a temporary access pass to {user.upn}")
    if ctx.reveal is None:
        return NO_REVEAL
    emit(ctx, "change", f"issuing a temporary access pass to {user.upn}", **step.after)
    try:
        issued = targets.gateway.create_tap(
            ctx.customer, user.id, params.lifetime_minutes, params.usable_once, budget=budget
        )
    except GraphOutcomeUnknownError as exc:
        why = "a pass may have been issued, but its value is lost. Issue a new one (it replaces it)"
        return unknown(ctx, step, f"{exc.message}; {why}")
    secret = issued.value.get_secret_value()
    ctx.redactor.add(secret)
    reveal_id = ctx.reveal(secret)
    starts = issued.start.isoformat() if issued.start else "now"
    details = {"reveal_id": reveal_id, "method_id": issued.id, "starts": starts, **terms}
    once = "; usable once" if issued.usable_once else ""
    summary = (
        f"temporary access pass issued to {user.upn}, valid {issued.lifetime_minutes} min{once}"
    )
    return with_owner(succeeded(ctx, step, summary, details=details), user)


def mfa_reset(targets: Targets, ctx: RunContext) -> Outcome:
    """Remove every registered method but the password, the default one last."""
    params = MfaResetParams.model_validate(ctx.params)
    budget = budget_of(ctx)
    user = targets.protect(ctx, params.username, budget).user
    gateway = targets.gateway
    methods = _removable(gateway.list_methods(ctx.customer, user.id, budget=budget))
    kinds = [method.kind for method in methods]
    step = Step({"methods": kinds}, {"methods": []}, what=f"remove {len(kinds)} sign-in methods")
    if not methods:
        return succeeded(ctx, step, f"no change: {user.upn} has no method but the password")
    if ctx.check_mode:
        return succeeded(ctx, step, f"would remove the methods of {user.upn}: {', '.join(kinds)}")
    emit(ctx, "change", f"removing the sign-in methods of {user.upn}", methods=kinds)
    failed = _remove_all(gateway, ctx, user, methods, budget)
    if failed is not None:
        return failed
    summary = (
        f"removed the sign-in methods of {user.upn} ({', '.join(kinds)}); the user registers "
        "again at next sign-in (a temporary access pass helps)"
    )
    return with_owner(succeeded(ctx, step, summary), user)


def _removable(methods: list[AuthMethod]) -> list[AuthMethod]:
    """Every method but the password; the default last (Graph refuses it while others remain)."""
    kept = [method for method in methods if method.kind != "password"]
    return sorted(kept, key=lambda method: method.is_default)


def _remove_all(
    gateway: GraphGateway,
    ctx: RunContext,
    user: CloudUser,
    methods: list[AuthMethod],
    budget: Budget,
) -> Outcome | None:
    """Delete in order; a method refused as the default (unknown to us) goes once more at the
    end. A lost answer is read back: the method gone is success, still there is a failure."""
    pending = list(methods)
    deferred: set[str] = set()
    while pending:
        checkpoint(ctx, "Entra ID")
        method = pending.pop(0)
        try:
            gateway.delete_method(ctx.customer, user.id, method, budget=budget)
        except GraphRefusedError:
            if method.id in deferred or not pending:
                raise
            deferred.add(method.id)
            pending.append(method)
            continue
        except GraphOutcomeUnknownError as exc:
            emit(ctx, "reconcile", "answer lost after a delete; reading the methods back")
            left = _removable(gateway.list_methods(ctx.customer, user.id, budget=budget))
            if any(found.id == method.id for found in left):
                return Outcome(
                    status=RunStatus.FAILED,
                    error=f"{exc.message}; read back: the {method.kind} method is still there. "
                    "Request it again.",
                    diff={
                        "before": {"methods": [m.kind for m in methods]},
                        "after": {"methods": [m.kind for m in left]},
                    },
                )
        emit(ctx, "change", f"removed the {method.kind} method", method=method.kind)
    return None
