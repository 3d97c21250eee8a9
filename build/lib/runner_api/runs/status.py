"""Run statuses and the only moves between them (statuses never go back)."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    # Held until a second person approves it (high-risk runs); nothing has run yet.
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    TIMED_OUT = "timed_out"
    INTERRUPTED = "interrupted"
    REFUSED = "refused"
    # An approver said no, or nobody decided in time (the reason is in `error`).
    REJECTED = "rejected"

    @property
    def terminal(self) -> bool:
        return self not in (RunStatus.AWAITING_APPROVAL, RunStatus.QUEUED, RunStatus.RUNNING)


TERMINAL = frozenset(status for status in RunStatus if status.terminal)

# status -> the statuses a run may come from. Policy refusals known up front are written
# REFUSED at once; guardrails that need a look at the target refuse a running run. Runs that
# need approval are written AWAITING_APPROVAL and move on to QUEUED or REJECTED.
ALLOWED_FROM: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.QUEUED: frozenset({RunStatus.AWAITING_APPROVAL}),
    RunStatus.REJECTED: frozenset({RunStatus.AWAITING_APPROVAL}),
    RunStatus.REFUSED: frozenset({RunStatus.RUNNING}),
    RunStatus.RUNNING: frozenset({RunStatus.QUEUED}),
    RunStatus.SUCCEEDED: frozenset({RunStatus.RUNNING}),
    RunStatus.FAILED: frozenset({RunStatus.QUEUED, RunStatus.RUNNING}),
    RunStatus.CANCELED: frozenset(
        {RunStatus.AWAITING_APPROVAL, RunStatus.QUEUED, RunStatus.RUNNING}
    ),
    RunStatus.TIMED_OUT: frozenset({RunStatus.RUNNING}),
    RunStatus.INTERRUPTED: frozenset({RunStatus.QUEUED, RunStatus.RUNNING}),
}
