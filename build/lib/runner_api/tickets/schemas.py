"""What admins see of a ticket update (the comment included: it never holds a secret)."""

from __future__ import annotations

from runner_api.outbox.models import OutboxRowRead


class TicketUpdateRead(OutboxRowRead):
    id: str
    run_id: str
    source: str
    system: str
    customer: str
    ticket_id: str
    action: str
    run_status: str
    comment: str
    new_status: str | None
