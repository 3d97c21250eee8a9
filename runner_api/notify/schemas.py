"""What the admins' view shows of a notice (not its body: the subject says what it is)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    run_id: str
    customer: str
    ticket_id: str
    kind: str
    audience: str
    recipients: list[str]
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
