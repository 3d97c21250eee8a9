"""The frame of every Entra ID fix: the run's Graph budget and the end of a one-write step
(check mode, diff, a lost answer read back). The target's guardrails: targets.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from runner_api.directory import fixes
from runner_api.directory.fixes import LostAnswer, State, Step
from runner_api.entra.errors import SyncedAccountError
from runner_api.graph.errors import GraphError, GraphNotFoundError, GraphOutcomeUnknownError
from runner_api.graph.gateway import CloudUser
from runner_api.runs.context import Affected, Contact, Outcome, RunContext
from runner_api.runs.status import RunStatus

SYSTEM = "Entra ID"
GRAPH_LOST = LostAnswer(GraphOutcomeUnknownError, (GraphError, GraphNotFoundError))


def cloud_only(user: CloudUser, what: str) -> None:
    """Refuse a change Entra ID cannot make to an account mastered in on-premises AD."""
    if user.on_premises_sync_enabled:
        raise SyncedAccountError(
            f"refused: {user.upn} is synced from on-premises Active Directory "
            f"(onPremisesSyncEnabled), so its {what} is changed there, not in Entra ID; "
            "nothing was changed"
        )


def finish(
    ctx: RunContext, step: Step, write: Callable[[], object], observe: Callable[[], State]
) -> Outcome:
    """Check mode, no change, or the one write; a lost answer is read back (observe)."""
    return fixes.finish(ctx, step, write, observe, GRAPH_LOST)


def with_owner(outcome: Outcome, user: CloudUser, granted: str | None = None) -> Outcome:
    """The outcome naming the account's owner to tell (its mail in Entra ID), when it changed
    the account; Graph's manager is not read, so no manager is told."""
    if outcome.status is not RunStatus.SUCCEEDED or not outcome.changed:
        return outcome
    owner = Contact(user.display_name or user.upn, user.mail)
    return replace(outcome, affected=Affected(user.upn, owner, granted=granted))
