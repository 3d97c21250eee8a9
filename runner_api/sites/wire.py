"""What a site worker and the API say to each other (JSON over HTTPS, both directions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator

from runner_api.runs.context import Affected, Contact, EventIn, FollowUp, Outcome
from runner_api.runs.status import RunStatus

_WORKER = Field(min_length=1, max_length=128, description="The worker's identity.")
_SITE = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class ClaimIn(BaseModel):
    worker: str = _WORKER
    site: str = _SITE


class JobOut(BaseModel):
    """A claimed run: everything the worker needs to execute it. Secrets in clear."""

    run_id: str
    ticket_id: str
    customer: str
    action: str
    target: str
    params: dict[str, Any]
    check_mode: bool
    timeout_s: int
    requested_by: str
    approved_by: str | None = None


class WireEvent(BaseModel):
    seq: int = Field(ge=1, le=1_000_000)
    kind: str = Field(max_length=32)
    message: str = Field("", max_length=65_536)
    task: str | None = Field(None, max_length=255)
    host: str | None = Field(None, max_length=255)
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, seq: int, event: EventIn) -> WireEvent:
        return cls(
            seq=seq,
            kind=event.kind[:32],
            message=event.message[:65_536],
            task=event.task[:255] if event.task else None,
            host=event.host[:255] if event.host else None,
            data=dict(event.data),
        )


class EventsIn(BaseModel):
    worker: str = _WORKER
    events: list[WireEvent] = Field(max_length=1000)


class WireContact(BaseModel):
    name: str
    address: str | None = None


class WireAffected(BaseModel):
    username: str
    owner: WireContact
    manager: WireContact | None = None
    granted: str | None = None


class WireFollowUp(BaseModel):
    action: str
    params: dict[str, Any]
    due_at: datetime


class WireOutcome(BaseModel):
    """An executor's Outcome, as the worker reports it (already redacted by the worker)."""

    status: RunStatus
    changed: bool = False
    summary: str = ""
    diff: dict[str, Any] | None = None
    error: str | None = None
    versions: dict[str, str] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    follow_ups: list[WireFollowUp] = Field(default_factory=list, max_length=20)
    affected: WireAffected | None = None

    @field_validator("status")
    @classmethod
    def _terminal(cls, value: RunStatus) -> RunStatus:
        if not value.terminal:
            raise ValueError("an outcome's status must be terminal")
        return value

    @classmethod
    def of(cls, outcome: Outcome) -> WireOutcome:
        affected = outcome.affected
        return cls(
            status=outcome.status if outcome.status.terminal else RunStatus.FAILED,
            changed=outcome.changed,
            summary=outcome.summary,
            diff=dict(outcome.diff) if outcome.diff is not None else None,
            error=outcome.error,
            versions=dict(outcome.versions),
            details=dict(outcome.details),
            follow_ups=[
                WireFollowUp(action=f.action, params=dict(f.params), due_at=f.due_at)
                for f in outcome.follow_ups
            ],
            affected=None
            if affected is None
            else WireAffected(
                username=affected.username,
                owner=WireContact(name=affected.owner.name, address=affected.owner.address),
                manager=None
                if affected.manager is None
                else WireContact(name=affected.manager.name, address=affected.manager.address),
                granted=affected.granted,
            ),
        )

    def outcome(self) -> Outcome:
        affected = self.affected
        return Outcome(
            status=self.status,
            changed=self.changed,
            summary=self.summary,
            diff=self.diff,
            error=self.error,
            versions=self.versions,
            details=self.details,
            follow_ups=tuple(
                FollowUp(action=f.action, params=f.params, due_at=f.due_at) for f in self.follow_ups
            ),
            affected=None
            if affected is None
            else Affected(
                username=affected.username,
                owner=Contact(affected.owner.name, affected.owner.address),
                manager=None
                if affected.manager is None
                else Contact(affected.manager.name, affected.manager.address),
                granted=affected.granted,
            ),
        )


class FinishIn(BaseModel):
    worker: str = _WORKER
    # Events not sent yet: a short run reports everything in this one call.
    events: list[WireEvent] = Field(default_factory=list, max_length=1000)
    outcome: WireOutcome


class FinishOut(BaseModel):
    run_id: str
    status: RunStatus


class RevealIn(BaseModel):
    worker: str = _WORKER
    secret: SecretStr = Field(min_length=1, max_length=16384)
    # A file to download under this name (a VPN profile), never shown; None: text.
    filename: str | None = Field(None, min_length=1, max_length=128, pattern=r"^[\w.@+-]+$")


class RevealOut(BaseModel):
    reveal_id: str


class HeartbeatIn(BaseModel):
    worker: str = _WORKER
    site: str = _SITE
    running: list[str] = Field(default_factory=list, max_length=256)


class HeartbeatOut(BaseModel):
    # Runs of this worker whose cancel was asked for: stop them.
    cancel: list[str]
