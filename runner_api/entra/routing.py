"""IdentityRouter: the executor of directory actions; each run goes where its account lives.

customer identity   account                      action                         goes to
ad                  any                          AD actions                     Active Directory
ad                  any                          session_revoke, mfa_reset, TAP refused
entra               any                          any                            Entra ID
hybrid              synced (onPremisesSyncEnabled) AD actions                   Active Directory
hybrid              synced                       session_revoke, mfa_reset, TAP Entra ID
hybrid              cloud-only                   any                            Entra ID
hybrid              a sAMAccountName             AD actions                     Active Directory

A sAMAccountName only ever names an on-premises account; a UPN is looked up in Entra ID, and
a sAMAccountName is too (by onPremisesSamAccountName): a run fixed in AD passes AD's
guardrails there and Entra ID's for the account's synced copy, since a directory role given
in the cloud protects the account as much as an AD admin group. Every decision is a
`routing` event of the run.

A run that starts at once has its first reads started while it is recorded (look_ahead):
the AD lookup when it will go to AD by a sAMAccountName, else the Entra ID account (and its
memberships when it will be fixed there). The account the router finds is handed to the
executor (targets.py): a run reads it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from runner_api.customers.models import Customer, Identity
from runner_api.directory.actions import UserParams
from runner_api.directory.executor import DirectoryExecutor
from runner_api.entra.actions import ENTRA_ONLY
from runner_api.entra.errors import NoCloudAccountError, NotInEntraError
from runner_api.entra.executor import EntraExecutor, graph_failure
from runner_api.errors import ConfigurationError
from runner_api.graph.errors import GraphError
from runner_api.graph.gateway import GraphGateway
from runner_api.graph.run_budget import budget_of
from runner_api.runs.context import Executor, Outcome, RunContext
from runner_api.runs.steps import emit, failure

AD, ENTRA = "Active Directory", "Entra ID"
SYNCED = "the account is synced from on-premises (onPremisesSyncEnabled)"


class IdentityRouter:
    """Runs directory actions on AD or Entra ID by the customer's identity and the account's
    origin; implements Executor and LooksAhead."""

    def __init__(self, directory: DirectoryExecutor, graph: GraphGateway | None = None) -> None:
        self._directory = directory
        self._entra = EntraExecutor(graph) if graph is not None else None

    def execute(self, ctx: RunContext) -> Outcome:
        """Choose the system, then run there; every failure becomes an Outcome."""
        try:
            try:
                executor, routed = self._route(ctx)
            except GraphError as exc:
                return graph_failure(exc)
            except Exception as exc:  # the contract is "never raise"
                return failure(ctx, exc, "identity routing")
            return executor.execute(routed)
        finally:
            self.drop_ahead(ctx.run_id)  # what a refused or AD-routed run left unread

    def look_ahead(
        self, run_id: str, customer: Customer, action: str, params: Mapping[str, Any]
    ) -> None:
        """Start the run's first read where the run will make it (see the module's text)."""
        username = params.get("username")
        to_ad = customer.identity is Identity.AD or (
            customer.identity is Identity.HYBRID
            and isinstance(username, str)
            and "@" not in username
            and action not in ENTRA_ONLY
        )
        if to_ad:
            self._directory.look_ahead(run_id, customer, action, params)
        entra = self._entra if customer.identity is not Identity.AD else None
        if entra is not None and isinstance(username, str):
            # The account and its memberships: the guardrails of Entra ID need both, for
            # runs fixed in AD too (a synced account's roles live in the cloud).
            entra.targets.read_ahead(run_id, customer, username)

    def drop_ahead(self, run_id: str) -> None:
        self._directory.drop_ahead(run_id)
        if self._entra is not None:
            self._entra.targets.drop(run_id)

    def _route(self, ctx: RunContext) -> tuple[Executor, RunContext]:
        customer, action = ctx.customer, ctx.action.name
        if customer.identity is Identity.AD:
            if action in ENTRA_ONLY:
                raise NotInEntraError(
                    f"refused: {action} acts on Entra ID accounts, and customer "
                    f"{customer.name!r} has Active Directory only; nothing was changed"
                )
            return self._directory, ctx
        if self._entra is None:
            raise ConfigurationError("this process has no Microsoft Graph gateway")
        if customer.identity is Identity.ENTRA:
            _said(ctx, ENTRA, f"customer {customer.name!r} has its accounts in Entra ID")
            return self._entra, ctx
        # Only the account is read here; each executor validates the rest of the params.
        username = UserParams.model_validate({"username": ctx.params.get("username")}).username
        budget = budget_of(ctx)
        user = self._entra.targets.find(ctx, username, budget)
        if "@" not in username and action not in ENTRA_ONLY:
            # A sAMAccountName names an on-premises account: fixed in AD, by AD's guardrails,
            # and by Entra ID's for its synced copy (a directory role given in the cloud).
            if user is not None:
                self._entra.targets.check_synced(ctx, user, budget)
            _said(ctx, AD, f"{username} is a sAMAccountName: an on-premises account")
            return self._directory, ctx
        if user is None:
            how = "" if "@" in username else " synced from that sAMAccountName"
            hint = "; for an account only in AD give its sAMAccountName" if "@" in username else ""
            raise NoCloudAccountError(
                f"refused: no account {username!r}{how} in the Entra ID tenant of customer "
                f"{customer.name!r}{hint}; nothing was changed"
            )
        if action in ENTRA_ONLY:
            also = ", also for an account synced from on-premises"
            _said(
                ctx,
                ENTRA,
                f"{action} acts on Entra ID{also if user.on_premises_sync_enabled else ''}",
            )
            return self._entra, _as(ctx, user.upn)
        if not user.on_premises_sync_enabled:
            _said(ctx, ENTRA, "the account is cloud-only (not synced from on-premises)")
            return self._entra, ctx
        sam = user.on_premises_sam_account_name
        if not sam:
            raise NoCloudAccountError(
                f"refused: {user.upn} is synced from on-premises but Entra ID names no "
                "onPremisesSamAccountName to find it in AD by; nothing was changed"
            )
        self._entra.targets.check_synced(ctx, user, budget)
        _said(ctx, AD, f"{SYNCED}; its sAMAccountName is {sam}")
        return self._directory, _as(ctx, sam)


def _said(ctx: RunContext, system: str, why: str) -> None:
    emit(ctx, "routing", f"routed to {system}: {why}", system=system)


def _as(ctx: RunContext, username: str) -> RunContext:
    """The same run, its account named as the chosen system names it."""
    return replace(ctx, params={**ctx.params, "username": username}, target=username)
