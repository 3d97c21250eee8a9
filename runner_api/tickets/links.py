"""Where the page links a run's ticket: the configured URL, or RT's own ticket page."""

from __future__ import annotations

from dataclasses import dataclass

from runner_api.settings import Settings

# RT's display page takes the ticket number; Fixline's own ticket ids (INC-1042) are not RT's.
RT_TICKET_PAGE = "/Ticket/Display.html?id={ticket_id}"
RT_TICKET_ID = "^[0-9]+$"


@dataclass(frozen=True)
class TicketLink:
    """A URL with {ticket_id}, and the ids it fits (a regular expression)."""

    template: str
    fits: str = ".*"


def ticket_link(settings: Settings) -> TicketLink | None:
    """How to link a ticket id to the ticket system; None when none is configured."""
    if settings.ticket_link_url:
        return TicketLink(settings.ticket_link_url)
    if settings.rt_url:
        return TicketLink(settings.rt_url.rstrip("/") + RT_TICKET_PAGE, RT_TICKET_ID)
    return None
