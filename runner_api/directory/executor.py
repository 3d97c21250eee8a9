"""DirectoryExecutor: runs directory actions for the run spine; never raises."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
from typing import Any

from runner_api.customers.models import Customer
from runner_api.directory import fixes, guardrails
from runner_api.directory.actions import (
    GroupAddParams,
    GroupParams,
    PasswordResetParams,
    UserParams,
)
from runner_api.directory.affected import read_manager_early, with_affected
from runner_api.directory.fixes import Step, protect
from runner_api.directory.gateway import DirectoryGateway, UserEntry
from runner_api.directory.password_reset import reset_password
from runner_api.runs.context import Outcome, RunContext
from runner_api.runs.look_ahead import AheadReads
from runner_api.runs.steps import checkpoint, emit, run_action, versions_of

SYSTEM = "directory"


class DirectoryExecutor:
    """Runs directory actions; implements runner_api.runs.context.Executor."""

    def __init__(self, gateway: DirectoryGateway, side: Executor | None = None) -> None:
        self._gateway = gateway
        # Reads that may go out beside others (the manager to notify, a target looked up
        # while its run is recorded); never a write.
        self._side = side or ThreadPoolExecutor(4, thread_name_prefix="fixline-directory-read")
        self._versions = versions_of("ldap3")
        self._actions: dict[str, Callable[[RunContext], Outcome]] = {
            "password_reset": self._password_reset,
            "account_unlock": self._unlock,
            "account_enable": lambda ctx: self._enabled(ctx, True),
            "account_disable": lambda ctx: self._enabled(ctx, False),
            "group_add": lambda ctx: self._membership(ctx, True),
            "group_remove": lambda ctx: self._membership(ctx, False),
        }
        # Every action here starts by reading its target (`username`): may start early.
        self._ahead: AheadReads[UserEntry] = AheadReads(self._side)

    def execute(self, ctx: RunContext) -> Outcome:
        """Run ctx.action on ctx.target; every failure becomes an Outcome, never an exception."""
        try:
            return run_action(ctx, self._actions, SYSTEM, self._versions)
        finally:
            self._ahead.drop(ctx.run_id)  # a run refused before its lookup left it unused

    def look_ahead(
        self, run_id: str, customer: Customer, action: str, params: Mapping[str, Any]
    ) -> None:
        """Start the target's lookup while the run is recorded (a read; see look_ahead.py)."""
        username = params.get("username")
        if action in self._actions and isinstance(username, str):
            read = partial(guardrails.locate, self._gateway, customer, username)
            self._ahead.start(run_id, username, read)

    def drop_ahead(self, run_id: str) -> None:
        self._ahead.drop(run_id)

    def _target(self, ctx: RunContext, username: str) -> UserEntry:
        emit(ctx, "lookup", f"looking up {username}")
        user = protect(self._gateway, ctx, username, self._ahead.take(ctx.run_id, username))
        checkpoint(ctx, SYSTEM)
        return user

    def _finish(
        self,
        ctx: RunContext,
        user: UserEntry,
        step: Step,
        write: Callable[[], object],
        group_dn: str | None = None,
    ) -> Outcome:
        return fixes.finish(ctx, step, write, lambda: self._observe(ctx, user, step, group_dn))

    def _observe(
        self, ctx: RunContext, user: UserEntry, step: Step, group_dn: str | None
    ) -> dict[str, object]:
        """The step's attributes as the DC has them now (to reconcile a dropped write)."""
        now = self._gateway.read_user(ctx.customer, user.dn)
        values: dict[str, object] = {"locked": now.locked, "enabled": now.enabled}
        if group_dn is not None:
            values["member"] = fixes.is_member(self._gateway, ctx.customer, now, group_dn)
        return {key: values.get(key, step.after[key]) for key in step.after}

    def _password_reset(self, ctx: RunContext) -> Outcome:
        params = PasswordResetParams.model_validate(ctx.params)
        emit(ctx, "lookup", f"looking up {params.username}")
        early = self._ahead.take(ctx.run_id, params.username)
        return reset_password(ctx, self._gateway, params.username, params.unlock, self._side, early)

    def _unlock(self, ctx: RunContext) -> Outcome:
        user = self._target(ctx, UserParams.model_validate(ctx.params).username)
        step = fixes.unlock_step(user)
        early = read_manager_early(self._gateway, ctx, user, self._side) if step.changed else None
        outcome = self._finish(ctx, user, step, self._modify(ctx, user, step))
        return with_affected(self._gateway, ctx, user, outcome, early=early)

    def _enabled(self, ctx: RunContext, enable: bool) -> Outcome:
        user = self._target(ctx, UserParams.model_validate(ctx.params).username)
        step = fixes.enabled_step(user, enable)
        return self._finish(ctx, user, step, self._modify(ctx, user, step))

    def _modify(self, ctx: RunContext, user: UserEntry, step: Step) -> Callable[[], object]:
        return lambda: self._gateway.modify(ctx.customer, user.dn, step.changes)

    def _membership(self, ctx: RunContext, add: bool) -> Outcome:
        params = (GroupAddParams if add else GroupParams).model_validate(ctx.params)
        group = guardrails.allowed_group(self._gateway, ctx.customer, params.group)
        user = self._target(ctx, params.username)
        was = fixes.is_member(self._gateway, ctx.customer, user, group.dn)
        step = fixes.member_step(user.username, group.name, was, add)
        changes = add and step.changed
        early = read_manager_early(self._gateway, ctx, user, self._side) if changes else None
        outcome = self._finish(
            ctx, user, step, lambda: self._set_member(ctx, user, group.dn, add, step), group.dn
        )
        if add:
            outcome = with_affected(
                self._gateway, ctx, user, outcome, granted=group.name, early=early
            )
        expires_at = params.expires_at if isinstance(params, GroupAddParams) else None
        return fixes.with_expiry(outcome, expires_at, user.username, group.name)

    def _set_member(
        self, ctx: RunContext, user: UserEntry, group_dn: str, add: bool, step: Step
    ) -> None:
        if not self._gateway.set_member(ctx.customer, group_dn, user.dn, add):
            # 68 / 53: someone else made the same change meanwhile; nothing done here.
            fixes.unchanged_member(step, user.username, add)
