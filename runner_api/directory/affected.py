"""Whom to tell after a reset, unlock or grant: the account's owner and maybe its manager.

Only mail addresses on record in the directory are used (a channel the caller does not
control); nothing here sends mail, the notify package does.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from dataclasses import replace

from runner_api.directory.errors import DirectoryError
from runner_api.directory.gateway import DirectoryGateway, Person, UserEntry
from runner_api.runs.context import Affected, Contact, Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.steps import emit


def with_affected(
    gateway: DirectoryGateway,
    ctx: RunContext,
    user: UserEntry,
    outcome: Outcome,
    granted: str | None = None,
    early: Future[Person] | None = None,
) -> Outcome:
    """The outcome naming whom to tell, when it changed the account; else as it was.

    `early`: the manager's entry, read by read_manager_early while the write was out."""
    if outcome.status is not RunStatus.SUCCEEDED or not outcome.changed:
        return outcome
    owner = Contact(user.display_name or user.username, user.mail)
    manager = _manager(gateway, ctx, user, early) if ctx.customer.notify_manager else None
    affected = Affected(user.username, owner, manager, granted)
    return replace(outcome, affected=affected)


def read_manager_early(
    gateway: DirectoryGateway, ctx: RunContext, user: UserEntry, side: Executor | None
) -> Future[Person] | None:
    """Start reading the account's manager on another pooled connection, beside the write.

    Only a read, and only for the notice: it takes one round trip to the DC off every
    run's way (measured in bench/directory.py). Its result is used only if the write
    succeeded; an error is reported as the sequential read would report it.
    """
    if side is None or ctx.check_mode or not ctx.customer.notify_manager or not user.manager:
        return None
    return side.submit(gateway.read_person, ctx.customer, user.manager)


def _manager(
    gateway: DirectoryGateway, ctx: RunContext, user: UserEntry, early: Future[Person] | None
) -> Contact | None:
    if not user.manager:
        return None
    try:
        if early is not None:
            entry = early.result()
        else:
            entry = gateway.read_person(ctx.customer, user.manager)
    except DirectoryError as exc:
        # The change is done; a manager we cannot read becomes an undeliverable notice.
        emit(ctx, "notify", f"could not read the manager of {user.username}: {exc.message}")
        return Contact(_cn(user.manager), None)
    return Contact(entry.display_name or entry.username, entry.mail)


def _cn(dn: str) -> str:
    first = dn.split(",", 1)[0]
    return first.split("=", 1)[1] if "=" in first else first
