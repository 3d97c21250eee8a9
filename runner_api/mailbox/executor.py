"""MailboxExecutor: runs mailbox actions for the run spine; never raises."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from runner_api.accounts import AccountGuard
from runner_api.customers.models import Customer
from runner_api.mailbox import fixes, guardrails
from runner_api.mailbox.actions import (
    FolderGrantParams,
    FolderParams,
    ForwardingSetParams,
    MailboxParams,
    OofSetParams,
    mailbox_actions,
)
from runner_api.mailbox.early import EarlyReads
from runner_api.mailbox.errors import (
    MailboxBusyError,
    MailboxError,
    MailboxRefusedError,
    MailboxUnreachableError,
    MailboxUnsupportedError,
)
from runner_api.mailbox.fixes import FORWARD_RULE, Step
from runner_api.mailbox.gateway import Folder, FolderAcl, MailboxGateway, Oof, OofState
from runner_api.mailbox.service import read_info
from runner_api.runs.context import FollowUp, Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.steps import checkpoint, emit, failure, run_action, versions_of

T = TypeVar("T")
SYSTEM = "mailbox"
BACKENDS = {
    "ews": "Exchange (on-premises) through EWS",
    "graph": "Exchange Online through Microsoft Graph",
}
# Longest server back-off we wait for before our one retry; longer fails the run at once.
MAX_BUSY_WAIT_S = 30.0


def call(ctx: RunContext, what: str, op: Callable[[], T]) -> T:
    """One gateway call between checkpoints; a busy server gets one retry after its back-off."""
    checkpoint(ctx, SYSTEM)
    try:
        return op()
    except MailboxBusyError as exc:
        wait = exc.back_off_s if exc.back_off_s is not None else 1.0
        if wait > MAX_BUSY_WAIT_S or wait >= ctx.time_left() - 1:
            raise
        emit(ctx, "busy", f"Exchange is busy; retrying {what} once in {wait:g} s", wait_s=wait)
        if ctx.cancel_requested.wait(wait):
            checkpoint(ctx, SYSTEM)
    checkpoint(ctx, SYSTEM)
    return op()


class MailboxExecutor:
    """Runs mailbox actions; implements runner_api.runs.context.Executor."""

    def __init__(self, gateway: MailboxGateway, accounts: AccountGuard) -> None:
        self._gateway = gateway
        # Owner, colleague and recipient are checked like directory targets before the
        # first request; a VIP owner's changes need an approval (runner_api/accounts).
        self._accounts = accounts
        self._versions = {"ews": versions_of("exchangelib"), "graph": versions_of("httpx", "msal")}
        self._specs = {spec.name: spec for spec in mailbox_actions()}
        self._early = EarlyReads(gateway)
        self._actions: dict[str, Callable[[RunContext], Outcome]] = {
            "mailbox_info": self._info,
            "mailbox_oof_set": self._oof_set,
            "mailbox_oof_clear": self._oof_clear,
            "mailbox_forwarding_set": lambda ctx: self._forwarding(ctx, True),
            "mailbox_forwarding_clear": lambda ctx: self._forwarding(ctx, False),
            "mailbox_folder_permission_grant": lambda ctx: self._permission(ctx, True),
            "mailbox_folder_permission_revoke": lambda ctx: self._permission(ctx, False),
        }

    def look_ahead(
        self, run_id: str, customer: Customer, action: str, params: Mapping[str, Any]
    ) -> None:
        """The owner's guardrail reads beside the run's record (runner_api/accounts), then
        the fix's first read (early.py)."""
        spec = self._specs.get(action)
        if spec is not None:
            then = self._early.after_vetting(run_id, spec, customer, params)
            self._accounts.look_ahead(run_id, spec, customer, params, then)

    def drop_ahead(self, run_id: str) -> None:
        self._accounts.drop_ahead(run_id)
        self._early.drop(run_id)

    def execute(self, ctx: RunContext) -> Outcome:
        """Run ctx.action on ctx.target; every failure becomes an Outcome, never an exception."""
        try:
            backend = self._gateway.backend(ctx.customer)
        except Exception as exc:  # the contract is "never raise"
            return failure(ctx, exc, SYSTEM)
        emit(ctx, "backend", f"mailbox backend: {BACKENDS.get(backend, backend)}", backend=backend)
        with self._gateway.scoped(ctx):
            outcome = run_action(ctx, self._actions, SYSTEM, self._versions.get(backend, {}))
        return replace(outcome, details={**outcome.details, "backend": backend})

    def _target(self, ctx: RunContext, mailbox: str) -> None:
        guardrails.in_customer(ctx.customer, mailbox, "mailbox")

    def _vet(self, ctx: RunContext) -> None:
        """The accounts of the run, after the checks that need no outside system."""
        self._accounts.vet(ctx)
        checkpoint(ctx, SYSTEM)

    def _finish(self, ctx: RunContext, step: Step, write: Callable[[], object]) -> Outcome:
        if step.changed and not ctx.check_mode:
            emit(ctx, "change", step.what)
            try:
                call(ctx, step.what, write)
            except MailboxUnreachableError as exc:
                # The request may have reached Exchange before the link died: say so.
                return Outcome(
                    status=RunStatus.FAILED,
                    error=f"outcome unknown: {exc.message}; the change may or may not have "
                    "been applied: look with mailbox_info before requesting it again",
                    diff={"before": step.before, "after": None},
                    details={"outcome_unknown": True},
                )
        summary = f"would {step.what}" if ctx.check_mode and step.changed else step.done
        return Outcome(
            status=RunStatus.SUCCEEDED,
            changed=step.changed and not ctx.check_mode,
            summary=summary,
            diff={"before": step.before, "after": step.after},
            details=step.details,
        )

    def _info(self, ctx: RunContext) -> Outcome:
        mailbox = MailboxParams.model_validate(ctx.params).mailbox
        self._target(ctx, mailbox)
        self._vet(ctx)
        info = read_info(
            self._gateway, ctx.customer, mailbox, between=lambda: checkpoint(ctx, SYSTEM)
        )
        forwarding = sum(1 for rule in info.rules if rule.forward_to or rule.redirect_to)
        summary = (
            f"{mailbox}: automatic replies {info.oof.state.value.lower()}, "
            f"{len(info.rules)} inbox rule(s) ({forwarding} forwarding)"
        )
        if info.inbox is not None:
            summary += f", {info.inbox.unread} unread of {info.inbox.total} in the inbox"
        if not info.unavailable:
            summary += f", {len(info.delegates)} delegate(s)"
        return Outcome(RunStatus.SUCCEEDED, summary=summary, details=fixes.info_details(info))

    def _oof_set(self, ctx: RunContext) -> Outcome:
        params = OofSetParams.model_validate(ctx.params)
        self._target(ctx, params.mailbox)
        self._vet(ctx)
        gw, customer, mailbox = self._gateway, ctx.customer, params.mailbox
        wanted = fixes.wanted_oof(
            params.internal_message, params.external_message, params.audience,
            params.start, params.end,
        )  # fmt: skip
        now = self._oof(ctx, mailbox)
        step = fixes.oof_set_step(mailbox, now, wanted)
        return self._finish(ctx, step, lambda: gw.set_oof(customer, mailbox, wanted))

    def _oof_clear(self, ctx: RunContext) -> Outcome:
        mailbox = MailboxParams.model_validate(ctx.params).mailbox
        self._target(ctx, mailbox)
        self._vet(ctx)
        gw, customer = self._gateway, ctx.customer
        now = self._oof(ctx, mailbox)
        step = fixes.oof_clear_step(mailbox, now)
        off = replace(now, state=OofState.DISABLED)
        return self._finish(ctx, step, lambda: gw.set_oof(customer, mailbox, off))

    def _oof(self, ctx: RunContext, mailbox: str) -> Oof:
        """The automatic replies now: read ahead for this run (early.py), else read here."""
        early = self._early.take_oof(ctx, mailbox)
        if early is not None:
            return early
        gw, customer = self._gateway, ctx.customer
        return call(ctx, "reading automatic replies", lambda: gw.get_oof(customer, mailbox))

    def _forwarding(self, ctx: RunContext, on: bool) -> Outcome:
        params = (ForwardingSetParams if on else MailboxParams).model_validate(ctx.params)
        mailbox = params.mailbox
        self._target(ctx, mailbox)
        forward_to = params.forward_to if isinstance(params, ForwardingSetParams) else None
        if forward_to is not None:
            approved = ctx.approved_by is not None
            guardrails.forwarding_allowed(ctx.customer, mailbox, forward_to, approved)
        self._vet(ctx)
        gw, customer = self._gateway, ctx.customer
        rules = call(ctx, "reading inbox rules", lambda: gw.get_rules(customer, mailbox))
        step = fixes.forwarding_step(mailbox, rules, forward_to)
        write = lambda: gw.set_forward_rule(customer, mailbox, FORWARD_RULE, forward_to)  # noqa: E731
        return self._finish(ctx, step, write)

    def _permission(self, ctx: RunContext, grant: bool) -> Outcome:
        params = (FolderGrantParams if grant else FolderParams).model_validate(ctx.params)
        mailbox, folder, user = params.mailbox, params.folder, params.user
        self._target(ctx, mailbox)
        guardrails.in_customer(ctx.customer, user, "colleague")
        if user == mailbox:
            raise MailboxRefusedError(f"refused: {user!r} owns the mailbox; nothing was changed")
        gw, customer = self._gateway, ctx.customer
        level = params.level.value if isinstance(params, FolderGrantParams) else "None"
        reason = gw.refusal(customer, folder, level)
        if reason is not None:
            raise MailboxUnsupportedError(reason)
        self._vet(ctx)
        acl = call(ctx, f"reading the {folder} permissions",
                   lambda: gw.get_permissions(customer, mailbox, folder))  # fmt: skip
        was = fixes.level_of(acl, user)
        expires_at = params.expires_at if isinstance(params, FolderGrantParams) else None
        if expires_at is not None and was not in ("None", level):
            raise MailboxRefusedError(
                f"refused: {user} already has {was} on the {folder} of {mailbox}; revoking at "
                "expiry would take that away too. Revoke first, or grant without expires_at"
            )
        step = fixes.permission_step(mailbox, folder, user, was, level, acl.unresolved)
        outcome = self._finish(
            ctx, step, lambda: gw.set_permission(customer, mailbox, folder, user, level)
        )
        if acl.unresolved and outcome.changed:
            outcome = self._unresolved_after(ctx, outcome, acl, folder, mailbox)
        if expires_at is None or not outcome.changed:
            # No follow-up for a permission that existed before: it was not granted here.
            return outcome
        revoke = FollowUp(
            "mailbox_folder_permission_revoke",
            {"mailbox": mailbox, "folder": folder.value, "user": user},
            due_at=expires_at,
        )
        summary = f"{outcome.summary} until {expires_at.isoformat()}"
        return replace(outcome, summary=summary, follow_ups=(revoke,))

    def _unresolved_after(
        self, ctx: RunContext, outcome: Outcome, before: FolderAcl, folder: Folder, mailbox: str
    ) -> Outcome:
        """Read the ACL again: Fixline sends unresolved entries back, but Exchange documents
        that an ACL reset deletes them, so say which ones it did not keep."""
        try:
            # Not call(): no checkpoint now that the change is made (a cancel must not hide it).
            after = self._gateway.get_permissions(ctx.customer, mailbox, folder)
        except MailboxError as exc:
            # The change is made: a failed look afterwards must not turn it into a failure.
            details = {**outcome.details, "unresolved_entries_unchecked": exc.message}
            return replace(outcome, details=details)
        removed = fixes.unresolved_removed(before, after)
        if not removed:
            return outcome
        said = (
            f"Exchange removed {len(removed)} unresolved entr{'y' if len(removed) == 1 else 'ies'}"
        )
        emit(ctx, "unresolved_removed", f"{said} of the {folder}: {', '.join(removed)}")
        details = {**outcome.details, "unresolved_entries_removed": removed}
        return replace(outcome, summary=f"{outcome.summary}; {said}", details=details)
