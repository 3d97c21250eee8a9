"""API shapes of runs: RunCreate in, RunRead and RunEventRead out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from runner_api.runs.limit_kind import LimitKind
from runner_api.runs.status import RunStatus

TICKET_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:#/-]{0,63}$"
CUSTOMER_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
ACTION_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class Channel(StrEnum):
    UI = "ui"
    API = "api"
    WEBHOOK = "webhook"
    CLI = "cli"
    MONITORING = "monitoring"
    SCHEDULE = "schedule"


class RunCreate(BaseModel):
    """A request to run one vetted action for one ticket."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "customer": "lab",
                    "ticket_id": "INC-1042",
                    "action": "service_restart",
                    "params": {"host": "lab-host", "unit": "fixline-lab-web"},
                    "check_mode": False,
                }
            ]
        },
    )

    customer: str = Field(pattern=CUSTOMER_PATTERN, description="Customer the run is for.")
    ticket_id: str = Field(
        pattern=TICKET_ID_PATTERN, description="Helpdesk ticket the run is bound to."
    )
    action: str = Field(pattern=ACTION_PATTERN, description="Name of a vetted action.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Parameters, as described by GET /actions."
    )
    check_mode: bool = Field(False, description="Dry run: report what would change.")


class RunRead(BaseModel):
    """A run as the API shows it (secret parameters masked)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    customer: str
    ticket_id: str
    action: str
    target: str
    params: dict[str, Any]
    check_mode: bool
    requested_by: str
    requester_id: str = Field(
        description="The requester's unique id (token:<id>, agent:<objectGUID>, "
        "webhook:<source>, os:<user>); names need not be unique, this is."
    )
    channel: Channel
    status: RunStatus
    changed: bool | None
    summary: str
    diff: dict[str, Any] | None
    error: str | None
    details: dict[str, Any]
    versions: dict[str, str]
    timeout_s: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RunPage(BaseModel):
    """One page of runs, newest first; pass next_cursor as cursor for the next page."""

    items: list[RunRead]
    next_cursor: str | None


class RunEventRead(BaseModel):
    """One redacted event of a run."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    created_at: datetime
    kind: str
    task: str | None
    host: str | None
    message: str
    data: dict[str, Any]


# Which scope fields each kind of clear names (the rest must stay empty); a target clear
# may name a requester too, to clear only that requester's share of the target.
_SCOPE_FIELDS = {
    LimitKind.REQUESTER: ({"requester"}, set()),
    LimitKind.TARGET: ({"customer", "target"}, {"requester"}),
    LimitKind.ACTION: ({"action"}, set()),
}


class LimitClearCreate(BaseModel):
    """Clear one rate limit for one scope: its runs so far no longer count."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"limit": "target", "customer": "lab", "target": "lab-host", "reason": "demo"}
            ]
        },
    )

    limit: LimitKind
    customer: str | None = Field(None, pattern=CUSTOMER_PATTERN)
    # Names as runs store them: no control characters (PostgreSQL refuses NUL in text).
    target: str | None = Field(None, pattern=r"^[^\x00-\x1f\x7f]{1,255}$")
    requester: str | None = Field(
        None,
        pattern=r"^[^\x00-\x1f\x7f]{1,160}$",
        description="The requester's id (`requester_id` in a run or in the 429's `used_by`, "
        "e.g. token:3fa2b1c9d0e1 or agent:<objectGUID>): names need not be unique.",
    )
    action: str | None = Field(None, pattern=ACTION_PATTERN)
    reason: str = Field("", pattern=r"^[^\x00]{0,500}$", description="Why; kept with the clear.")

    @model_validator(mode="after")
    def _names_its_scope(self) -> LimitClearCreate:
        required, optional = _SCOPE_FIELDS[self.limit]
        given = {
            name for name in ("customer", "target", "requester", "action") if getattr(self, name)
        }
        if not required <= given or given - required - optional:
            names = ", ".join(sorted(required)) + (
                f" (and optionally {', '.join(sorted(optional))})" if optional else ""
            )
            raise ValueError(f"a {self.limit.value} clear names {names}, nothing else")
        return self


class LimitClearRead(BaseModel):
    """A recorded clear."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    limit: LimitKind = Field(validation_alias="kind")
    customer: str | None
    target: str | None
    requester: str | None
    action: str | None
    cleared_by: str
    cleared_at: datetime
    reason: str
