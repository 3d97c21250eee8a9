"""What the admins' view shows of a notice (not its body: the subject says what it is)."""

from __future__ import annotations

from runner_api.outbox.models import OutboxRowRead


class NotificationRead(OutboxRowRead):
    id: str
    run_id: str
    customer: str
    ticket_id: str
    kind: str
    audience: str
    recipients: list[str]
    subject: str
