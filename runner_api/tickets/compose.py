"""The comment of a run's outcome: status, summary, error, diff, passed through the redactor.

Built from non-secret fields only; a generated password never leaves Fixline (the comment
says a one-time reveal waits for the requester).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from runner_api.runs.status import RunStatus

_HEADLINE = {
    RunStatus.SUCCEEDED: "succeeded",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELED: "was canceled",
    RunStatus.TIMED_OUT: "timed out",
    RunStatus.INTERRUPTED: "was interrupted",
    RunStatus.REFUSED: "was refused",
}
REVEAL_NOTE = (
    "A temporary password is waiting in Fixline for the requester (a one-time reveal); "
    "it is not written here."
)
FILE_NOTE = (
    "A VPN profile is waiting in Fixline for the requester (a one-time download); it is "
    "not attached here."
)


def comment_of(
    *,
    run_id: str,
    action: str,
    target: str,
    status: RunStatus,
    changed: bool,
    summary: str,
    error: str | None,
    diff: Mapping[str, Any] | None,
    details: Mapping[str, Any],
    check_mode: bool,
    redact: Callable[[str], str],
) -> str:
    """Plain text for the ticket; everything in it has gone through the run's redactor."""
    mode = " (dry run)" if check_mode else ""
    lines = [f"Fixline: {action} on {target}{mode} {_HEADLINE.get(status, status.value)}."]
    if summary:
        lines.append(summary)
    if error:
        lines.append(f"Error: {error}")
    if status is RunStatus.SUCCEEDED:
        lines.append("Changed: yes" if changed else "Changed: nothing needed changing")
    if diff:
        lines.append("Change: " + json.dumps(diff, sort_keys=True, default=str)[:2000])
    if details.get("reveal_file"):
        lines.append(FILE_NOTE)
    elif details.get("reveal_id"):
        lines.append(REVEAL_NOTE)
    lines.append(f"Run: {run_id}")
    return redact("\n".join(lines))
