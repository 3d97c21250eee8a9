"""Where the page links a ticket: the configured URL, RT's page for its numeric ids, or none."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from runner_api.settings import Settings
from runner_api.tickets.links import TicketLink, ticket_link


def test_no_ticket_system_no_link() -> None:
    assert ticket_link(Settings()) is None


def test_rt_links_its_numeric_tickets_only() -> None:
    link = ticket_link(Settings(rt_url="https://rt.example/"))
    assert link == TicketLink("https://rt.example/Ticket/Display.html?id={ticket_id}", "^[0-9]+$")
    assert re.fullmatch(link.fits, "20461")
    assert not re.fullmatch(link.fits, "INC-1042")


def test_a_configured_url_wins_and_must_name_the_ticket() -> None:
    settings = Settings(
        rt_url="https://rt.example", ticket_link_url="https://tickets.example/browse/{ticket_id}"
    )
    assert ticket_link(settings) == TicketLink("https://tickets.example/browse/{ticket_id}")
    with pytest.raises(ValidationError):
        Settings(ticket_link_url="https://tickets.example/browse/")
    with pytest.raises(ValidationError):
        Settings(ticket_link_url="javascript:alert(1)//{ticket_id}")
