"""How a playbook run ended, from runner's status, our own stop reason and the events seen."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from runner_api.playbooks.events import EventMapper, clean_text
from runner_api.runs.context import Outcome, RunContext
from runner_api.runs.status import RunStatus


class StopReason(StrEnum):
    """Why we stopped a run ourselves."""

    CANCELED = "canceled"
    TIMED_OUT = "timed_out"
    EMIT_FAILED = "emit_failed"


@cache
def tool_versions() -> Mapping[str, str]:
    """Versions of the tools that run playbooks, recorded on every run."""
    found: dict[str, str] = {}
    for package in ("ansible-core", "ansible-runner"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "missing"
    return found


def failed(ctx: RunContext, error: str, status: RunStatus = RunStatus.FAILED) -> Outcome:
    """An Outcome for a run that ended before or outside ansible-playbook."""
    return Outcome(status=status, error=ctx.redactor.text(error), versions=tool_versions())


def _diff(mapper: EventMapper, check_mode: bool) -> dict[str, Any] | None:
    diff: dict[str, Any] = {}
    if mapper.result is not None:
        diff = {"before": mapper.result.get("before"), "after": mapper.result.get("after")}
    if check_mode and mapper.diffs:
        diff["tasks"] = mapper.diffs
    return diff or None


def _status_and_error(
    ctx: RunContext, mapper: EventMapper, stop: StopReason | None, runner_status: str, rc: int
) -> tuple[RunStatus, str | None]:
    if stop is StopReason.EMIT_FAILED or mapper.emit_error is not None:
        return RunStatus.FAILED, f"run stopped: {mapper.emit_error}"
    # Our own reason first: runner reports any stop we asked for as "canceled".
    if stop is StopReason.TIMED_OUT or (stop is None and runner_status == "timeout"):
        return RunStatus.TIMED_OUT, f"timed out after {ctx.timeout_s:g} s; the playbook was stopped"
    if stop is StopReason.CANCELED or runner_status == "canceled":
        return RunStatus.CANCELED, "canceled on request; the playbook was stopped"
    if runner_status == "successful" and mapper.stats and not mapper.no_hosts_matched:
        return RunStatus.SUCCEEDED, None
    if mapper.failure:
        return RunStatus.FAILED, mapper.failure
    if mapper.no_hosts_matched or (runner_status == "successful" and not mapper.stats):
        return RunStatus.FAILED, f"no host of the inventory matched target {ctx.target!r}"
    if mapper.error_line:
        return RunStatus.FAILED, mapper.error_line
    return RunStatus.FAILED, f"ansible-playbook ended with status {runner_status} (rc {rc})"


def build_outcome(
    ctx: RunContext, mapper: EventMapper, stop: StopReason | None, runner_status: str, rc: int
) -> Outcome:
    """The Outcome of a run that reached ansible-playbook; every text field redacted."""
    red = ctx.redactor
    status, error = _status_and_error(ctx, mapper, stop, runner_status, rc)
    summary = ""
    if mapper.result is not None and mapper.result.get("summary"):
        summary = clean_text(mapper.result["summary"])
    elif mapper.stats:
        summary = mapper.recap_line()
    diff = _diff(mapper, ctx.check_mode)
    return Outcome(
        status=status,
        changed=mapper.changed,
        summary=red.text(summary),
        diff=red.data(diff) if diff is not None else None,
        error=red.text(error) if error else None,
        versions=tool_versions(),
        details={"runner_status": runner_status, "rc": rc, "check_mode": ctx.check_mode},
    )
