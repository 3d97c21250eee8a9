"""GET /tickets/updates: admins see which write-backs went out, wait, or keep failing."""

from __future__ import annotations

from fastapi import APIRouter

from runner_api.outbox.models import OutboxStatus
from runner_api.outbox.routes import add_listing
from runner_api.tickets.outbox import list_updates
from runner_api.tickets.schemas import TicketUpdateRead

router = APIRouter(prefix="/tickets", tags=["audit"])
add_listing(
    router,
    "/updates",
    rows=list_updates,
    statuses=OutboxStatus,
    read=TicketUpdateRead,
    name="ticket_updates",
    summary="Ticket write-backs (comments, status changes), newest first",
    description="Filter by status (failed: given up after retries; pending: waiting or retrying).",
    what="the ticket write-back outbox",
)
