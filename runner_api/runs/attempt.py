"""What a start_run request is about, as the rate limits and their clears see it."""

from __future__ import annotations

from dataclasses import dataclass

from runner_api.runs.schemas import Channel


@dataclass(frozen=True)
class Attempt:
    """What a start_run request is about, as the limits see it."""

    customer: str
    ticket_id: str
    action: str
    target: str
    requested_by: str  # a name, for people to read
    channel: Channel
    check_mode: bool = False
    # The requester's principal id (runs.requester_id): what "one requester" is.
    requester_id: str = ""
