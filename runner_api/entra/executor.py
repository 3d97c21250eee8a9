"""EntraExecutor: runs directory actions on cloud accounts through Microsoft Graph; never raises."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial

from runner_api.directory import fixes
from runner_api.directory.actions import GroupAddParams, GroupParams, UserParams
from runner_api.directory.fixes import Step, succeeded
from runner_api.entra import guardrails, sign_in
from runner_api.entra.errors import NotInEntraError
from runner_api.entra.fixes import cloud_only, finish, with_owner
from runner_api.entra.targets import Target, Targets
from runner_api.graph.errors import (
    GraphError,
    GraphOutcomeUnknownError,
    GraphThrottledError,
    GraphUnavailableError,
)
from runner_api.graph.gateway import Budget, CloudGroup, GraphGateway
from runner_api.graph.run_budget import budget_of
from runner_api.runs.context import Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.steps import Action, emit, run_action, versions_of

SYSTEM = "Entra ID"
UNLOCK_REFUSAL = (
    "refused: there is nothing to unlock in Entra ID through Microsoft Graph: smart lockout "
    "ends by itself after its lockout period, and the user can unlock the account with "
    "self-service password reset; nothing was changed"
)


def graph_failure(exc: GraphError) -> Outcome:
    """The end of a run a Graph error stopped, with a reason an agent can act on."""
    details = {"graph_request_id": exc.request_id} if exc.request_id else {}
    if isinstance(exc, GraphOutcomeUnknownError):
        return Outcome(
            RunStatus.FAILED,
            error=f"outcome unknown: {exc.message}",
            details={**details, "outcome_unknown": True},
        )
    if isinstance(exc, GraphUnavailableError):
        return Outcome(RunStatus.FAILED, error=f"Graph unreachable: {exc.message}", details=details)
    if isinstance(exc, GraphThrottledError):
        wait = exc.retry_after_s
        after = f"{wait:g} s" if wait is not None else "a few minutes"
        error = f"throttled by Graph; try again after {after} ({exc.message})"
        return Outcome(RunStatus.FAILED, error=error, details=details)
    return Outcome(RunStatus.FAILED, error=exc.message, details=details)


def _graph_guarded(action: Action) -> Action:
    def run(ctx: RunContext) -> Outcome:
        try:
            return action(ctx)
        except GraphError as exc:
            return graph_failure(exc)

    return run


class EntraExecutor:
    """Runs directory actions on Entra ID accounts; implements runner_api.runs.context.Executor."""

    def __init__(self, gateway: GraphGateway, side: Executor | None = None) -> None:
        self._gateway = gateway
        # Reads only: a run's target read while its record commits (targets.py).
        side = side or ThreadPoolExecutor(4, thread_name_prefix="fixline-graph-read")
        self.targets = Targets(gateway, side)
        self._versions = versions_of("httpx", "msal")
        actions: dict[str, Callable[[RunContext], Outcome]] = {
            "password_reset": partial(sign_in.reset_password, self.targets),
            "temporary_access_pass": partial(sign_in.temporary_access_pass, self.targets),
            "mfa_reset": partial(sign_in.mfa_reset, self.targets),
            "account_unlock": self._unlock,
            "account_enable": lambda ctx: self._enabled(ctx, True),
            "account_disable": lambda ctx: self._enabled(ctx, False),
            "group_add": lambda ctx: self._membership(ctx, True),
            "group_remove": lambda ctx: self._membership(ctx, False),
            "session_revoke": self._revoke,
        }
        self._actions = {name: _graph_guarded(action) for name, action in actions.items()}

    def execute(self, ctx: RunContext) -> Outcome:
        """Run ctx.action on ctx.target; every failure becomes an Outcome, never an exception."""
        try:
            return run_action(ctx, self._actions, SYSTEM, self._versions)
        finally:
            self.targets.drop(ctx.run_id)  # a run refused before its lookup left it unused

    def _unlock(self, ctx: RunContext) -> Outcome:
        raise NotInEntraError(UNLOCK_REFUSAL)

    def _enabled(self, ctx: RunContext, enable: bool) -> Outcome:
        budget, gw = budget_of(ctx), self._gateway
        user = self.targets.protect(
            ctx, UserParams.model_validate(ctx.params).username, budget
        ).user
        cloud_only(user, "sign-in (enabled or blocked)")
        state = "enabled" if enable else "blocked"
        step = Step(
            {"enabled": user.account_enabled},
            {"enabled": enable},
            what=f"{'enable' if enable else 'block'} sign-in of {user.upn}",
            done=f"sign-in of {user.upn} {state}"
            if user.account_enabled != enable
            else f"no change: sign-in of {user.upn} is already {state}",
        )

        def observe() -> dict[str, object]:
            now = gw.read_user(ctx.customer, user.id, budget=budget)
            return {"enabled": now.account_enabled}

        write = partial(gw.set_enabled, ctx.customer, user.id, enable, budget=budget)
        return with_owner(finish(ctx, step, write, observe), user)

    def _revoke(self, ctx: RunContext) -> Outcome:
        budget = budget_of(ctx)
        name = UserParams.model_validate(ctx.params).username
        user = self.targets.protect(ctx, name, budget).user
        step = Step(
            {"sessions_revoked": False},
            {"sessions_revoked": True},
            what=f"revoke the sign-in sessions of {user.upn}",
        )
        if ctx.check_mode:
            return succeeded(ctx, step, f"would {step.what}")
        emit(ctx, "change", step.what, **step.after)
        try:
            self._gateway.revoke_sessions(ctx.customer, user.id, budget=budget)
        except GraphOutcomeUnknownError as exc:
            # Nothing to read back; revoking again is harmless.
            return fixes.unknown(ctx, step, f"{exc.message}. Revoke again: that is harmless")
        done = (
            f"sign-in sessions of {user.upn} revoked; it takes a few minutes to reach every "
            "app, as each refreshes its token"
        )
        return with_owner(succeeded(ctx, step, done), user)

    def _membership(self, ctx: RunContext, add: bool) -> Outcome:
        params = (GroupAddParams if add else GroupParams).model_validate(ctx.params)
        budget = budget_of(ctx)
        group = guardrails.allowed_group(self._gateway, ctx.customer, params.group, budget)
        target = self.targets.protect(ctx, params.username, budget)
        user = target.user
        cloud_only(user, "group membership")
        was = any(found.id == group.id for found in target.groups)
        step = fixes.member_step(user.upn, group.name, was, add)
        outcome = finish(
            ctx,
            step,
            lambda: self._set_member(ctx, target, group, add, step, budget),
            lambda: self._observe_member(ctx, target, group, budget),
        )
        outcome = with_owner(outcome, user, granted=group.name if add else None)
        expires_at = params.expires_at if isinstance(params, GroupAddParams) else None
        return fixes.with_expiry(outcome, expires_at, user.upn, group.name)

    def _set_member(
        self, ctx: RunContext, target: Target, group: CloudGroup, add: bool, step: Step, b: Budget
    ) -> None:
        change = self._gateway.add_member if add else self._gateway.remove_member
        if not change(ctx.customer, group.id, target.user.id, budget=b):
            # Already so (a direct membership Graph knew of): nothing was done here.
            fixes.unchanged_member(step, target.user.upn, add)

    def _observe_member(
        self, ctx: RunContext, target: Target, group: CloudGroup, budget: Budget
    ) -> dict[str, object]:
        groups = self._gateway.member_of(ctx.customer, target.user.id, budget=budget)
        return {"member": any(found.id == group.id for found in groups), "group": group.name}
