"""The one check of ticket ids, in RunService: every channel passes it, none can skip it."""

from __future__ import annotations

import re

from runner_api.errors import InvalidRequestError
from runner_api.runs.schemas import TICKET_ID_PATTERN

_TICKET_ID = re.compile(TICKET_ID_PATTERN)
_SHOWN = 80  # of a refused id, enough to recognise it in a refusal's reason


class InvalidTicketIdError(InvalidRequestError):
    """Not a ticket id Fixline binds runs to: 422, and nothing is recorded or run."""

    code = "invalid_ticket_id"


def check_ticket_id(ticket_id: str) -> None:
    """Refuse what the API's pattern refuses (a webhook rule's or the CLI's ticket id too)."""
    if not _TICKET_ID.fullmatch(ticket_id):
        raise InvalidTicketIdError(
            f"ticket id {ticket_id[:_SHOWN]!r} is not one: 1-64 of A-Za-z0-9._:#/-, starting "
            "with a letter or digit; nothing ran",
            field="ticket_id",
        )
