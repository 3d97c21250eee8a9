"""Delivers ticket updates through the shared outbox loop, to RT or a source's callback."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from runner_api.audit.sink import AuditSink
from runner_api.database import Database
from runner_api.outbox.relay import DeliveryError, OutboxRelay, Retry
from runner_api.settings import Settings
from runner_api.tickets.models import TicketUpdate
from runner_api.tickets.systems import CallbackTicketSystem, RtTicketSystem, TicketSystem
from runner_api.webhooks.sources import Source, Sources, TicketSystemKind

log = logging.getLogger(__name__)


class TicketSystems:
    """The adapter for each source, built from settings (RT) and the sources file (callbacks)."""

    def __init__(self, settings: Settings, sources: Sources, client: httpx.Client) -> None:
        self.settings = settings
        self.sources = sources
        self.client = client

    def for_source(self, name: str) -> TicketSystem:
        """The ticket system a source writes back to; DeliveryError when none is set up."""
        source = self.sources.find(name)
        if source is None or source.ticket_system is TicketSystemKind.NONE:
            raise DeliveryError(f"source {name!r} has no ticket system any more")
        if source.ticket_system is TicketSystemKind.RT:
            if not self.settings.rt_url or self.settings.rt_token is None:
                raise DeliveryError("RT is not configured (FIXLINE_RT_URL, FIXLINE_RT_TOKEN)")
            return RtTicketSystem(self.settings.rt_url, self.settings.rt_token, self.client)
        assert source.callback_url is not None
        secrets = self.settings.webhook_secrets.get(name) or []
        signing = secrets[0] if secrets else None
        return CallbackTicketSystem(source.callback_url, signing, self.client)

    def open_ticket(self, name: str, source: Source, subject: str, text: str) -> str | None:
        """A new ticket of an RT source (for a monitoring incident); None: use our own id."""
        if source.ticket_system is not TicketSystemKind.RT:
            return None
        try:
            return self.for_source(name).open(source.queue, subject, text)
        except DeliveryError as exc:
            # The remediation must not wait for the ticket system: it runs on our own id.
            log.warning("could not open an RT ticket for %s: %s", subject, exc.message)
            return None


class TicketRelay(OutboxRelay[TicketUpdate]):
    """The ticket write-back outbox's delivery side."""

    event = "ticket_update"

    def __init__(
        self, db: Database, audit: AuditSink, systems: TicketSystems, retry: Retry
    ) -> None:
        super().__init__(db, audit, TicketUpdate, retry)
        self.systems = systems

    def send(self, row: TicketUpdate) -> None:
        system = self.systems.for_source(row.source)
        system.comment(row.ticket_id, row.comment, row.id)
        system.update(row.ticket_id, row.new_status, row.fields)

    def describe(self, row: TicketUpdate) -> tuple[str, dict[str, Any]]:
        return row.action, {"source": row.source, "system": row.system}
