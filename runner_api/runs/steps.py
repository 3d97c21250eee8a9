"""Shared frame of the in-process executors (directory, mailbox): a dispatch table of
actions, stops between steps, and one mapping of every failure to an Outcome."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import ValidationError

from runner_api.errors import FixlineError, RefusedError
from runner_api.runs.context import EventIn, Outcome, RunContext
from runner_api.runs.status import RunStatus

Action = Callable[[RunContext], Outcome]


class StoppedError(Exception):
    """Canceled or out of time between two steps."""

    def __init__(self, status: RunStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def checkpoint(ctx: RunContext, system: str) -> None:
    """Stop between steps when the run was canceled or its deadline passed."""
    if ctx.cancel_requested.is_set():
        raise StoppedError(RunStatus.CANCELED, f"canceled on request before the {system} changed")
    if ctx.time_left() <= 0:
        raise StoppedError(RunStatus.TIMED_OUT, f"timed out after {ctx.timeout_s:g} s")


def emit(ctx: RunContext, kind: str, message: str, **data: Any) -> None:
    """One progress event of the running action (text redacted here as well)."""
    ctx.emit(
        EventIn(kind=kind, message=ctx.redactor.text(message), task=ctx.action.name, data=data)
    )


def versions_of(*packages: str) -> dict[str, str]:
    """Installed versions of the libraries doing the work, recorded on every run."""
    found = {}
    for package in packages:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "missing"
    return found


def run_action(
    ctx: RunContext, actions: Mapping[str, Action], system: str, versions: Mapping[str, str]
) -> Outcome:
    """Run ctx.action from the table; every failure becomes an Outcome, never an exception."""
    outcome = _guarded(ctx, actions, system)
    red = ctx.redactor
    return Outcome(
        status=outcome.status,
        changed=outcome.changed,
        summary=red.text(outcome.summary),
        diff=red.data(dict(outcome.diff)) if outcome.diff is not None else None,
        error=red.text(outcome.error) if outcome.error else None,
        versions=versions,
        details=red.data(dict(outcome.details)),
        follow_ups=outcome.follow_ups,
        affected=outcome.affected,
    )


def _guarded(ctx: RunContext, actions: Mapping[str, Action], system: str) -> Outcome:
    action = actions.get(ctx.action.name)
    if action is None:
        return Outcome(RunStatus.FAILED, error=f"no {system} action {ctx.action.name!r}")
    try:
        checkpoint(ctx, system)
        return action(ctx)
    except Exception as exc:  # the contract is "never raise": report, don't crash the worker
        return failure(ctx, exc, system)


def failure(ctx: RunContext, exc: Exception, system: str) -> Outcome:
    """The Outcome of an action that `exc` stopped (a refusal is an event of the run too)."""
    if isinstance(exc, StoppedError):
        return Outcome(exc.status, error=exc.message)
    if isinstance(exc, RefusedError):
        emit(ctx, "refused", exc.message, rule=exc.code)
        # Which guardrail refused it (protected_target, out_of_scope, vip_not_approved ...).
        return Outcome(RunStatus.REFUSED, error=exc.message, details={"refused_by": exc.code})
    if isinstance(exc, FixlineError):
        return Outcome(RunStatus.FAILED, error=exc.message)
    if isinstance(exc, ValidationError):
        # Re-validated at run time: e.g. an expires_at that passed while the run was queued.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in exc.errors(include_url=False, include_input=False)
        )
        return Outcome(RunStatus.REFUSED, error=f"invalid parameters: {problems}")
    return Outcome(RunStatus.FAILED, error=f"{system} run failed: {type(exc).__name__}")
