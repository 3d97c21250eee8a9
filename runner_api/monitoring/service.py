"""One open incident per (host, service): the first HARD CRITICAL opens a ticket and starts
the remediation; later ones reuse both; a recovery (OK) closes the incident. A HARD
CRITICAL soon after a remediated incident closed opens a ticket and runs nothing (flapping)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from runner_api.database import Database
from runner_api.errors import FixlineError
from runner_api.monitoring.models import Incident
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest, RunService
from runner_api.types import utcnow
from runner_api.webhooks.mapping import UnmappedPayloadError
from runner_api.webhooks.service import Delivery, payload_of
from runner_api.webhooks.sources import MonitoredService, Source

# Opens a ticket for an incident and returns its id (None: no ticket system, use our own).
TicketOpener = Callable[[str, Source, str, str], str | None]


class NagiosEvent(BaseModel):
    """What Nagios passes an event handler ($HOSTNAME$, $SERVICEDESC$, $SERVICESTATE$ ...)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=255)
    service: str = Field(min_length=1, max_length=255)
    state: Literal["OK", "WARNING", "CRITICAL", "UNKNOWN"]
    state_type: Literal["SOFT", "HARD"]
    attempt: int = Field(ge=1, le=100)


class Monitoring:
    """Turns Nagios events into at most one run per incident."""

    def __init__(
        self, db: Database, runs: RunService, open_ticket: TicketOpener, flap_window_s: int
    ) -> None:
        self.db = db
        self.runs = runs
        self.open_ticket = open_ticket
        self.flap_window_s = flap_window_s

    def handle_delivery(self, delivery: Delivery) -> dict[str, Any]:
        """Handle a signed monitoring delivery now (it may open a ticket and start a run)."""
        try:
            event = NagiosEvent.model_validate(payload_of(delivery.body))
        except ValidationError as exc:
            raise UnmappedPayloadError(
                f"not a Nagios event: {exc.error_count()} error(s)"
            ) from None
        return self.handle(delivery.source_name, delivery.source, event)

    def handle(self, source_name: str, source: Source, event: NagiosEvent) -> dict[str, Any]:
        """The answer to one event: ignored, closed, started, reused or held."""
        key = f"{event.host}/{event.service}"
        if event.state == "OK":
            return {"outcome": "closed" if self._close(key) else "ignored", "incident": key}
        if event.state != "CRITICAL" or event.state_type != "HARD":
            return {"outcome": "ignored", "reason": f"{event.state_type} {event.state}"}
        mapped = next(
            (s for s in source.services if (s.host, s.service) == (event.host, event.service)),
            None,
        )
        if mapped is None:
            raise UnmappedPayloadError(f"no remediation is mapped for {key}; nothing runs")
        incident = Incident(
            id=str(uuid.uuid4()),
            host=event.host,
            service=event.service,
            open_key=key,
            ticket_id="",
            opened_at=utcnow(),
        )
        incident.ticket_id = f"MON-{incident.id[:8]}"
        try:
            with self.db.session() as session:
                session.add(incident)
        except IntegrityError:
            return self._reused(key)
        remediated = self._recently_remediated(incident)
        if remediated is not None:
            return self._hold(source_name, source, mapped, incident, remediated)
        return self._start(source_name, source, mapped, incident, event)

    def _recently_remediated(self, incident: Incident) -> Incident | None:
        """The last incident of this service that ran a remediation and closed within the
        flap window: the remediation did not hold, so running it again would only loop."""
        if not self.flap_window_s:
            return None
        since = incident.opened_at - timedelta(seconds=self.flap_window_s)
        with self.db.session() as session:
            return session.scalars(
                select(Incident)
                .where(
                    Incident.host == incident.host,
                    Incident.service == incident.service,
                    Incident.run_id.is_not(None),
                    Incident.closed_at >= since,
                )
                .order_by(Incident.closed_at.desc())
                .limit(1)
            ).first()

    def _hold(
        self,
        source_name: str,
        source: Source,
        mapped: MonitoredService,
        incident: Incident,
        remediated: Incident,
    ) -> dict[str, Any]:
        """A ticket for a person, and no run: the service flaps."""
        assert remediated.closed_at is not None
        ago = int((incident.opened_at - remediated.closed_at).total_seconds())
        subject = f"{incident.service} on {incident.host} is CRITICAL again (flapping)"
        text = (
            f"Monitoring reported a HARD CRITICAL {ago} s after the incident that ran "
            f"{mapped.action} (run {remediated.run_id}, ticket {remediated.ticket_id}) "
            f"recovered. Fixline does not run it again within {self.flap_window_s} s of a "
            "recovery (FIXLINE_MONITORING_FLAP_WINDOW_S): a person should look."
        )
        ticket_id = self.open_ticket(source_name, source, subject, text) or incident.ticket_id
        with self.db.session() as session:
            session.execute(
                update(Incident).where(Incident.id == incident.id).values(ticket_id=ticket_id)
            )
        return {
            "outcome": "held",
            "incident": incident.open_key,
            "ticket_id": ticket_id,
            "reason": f"flapping: remediated {ago} s before",
        }

    def _start(
        self,
        source_name: str,
        source: Source,
        mapped: MonitoredService,
        incident: Incident,
        event: NagiosEvent,
    ) -> dict[str, Any]:
        subject = f"{event.service} on {event.host} is CRITICAL"
        text = f"Monitoring reported a HARD CRITICAL (attempt {event.attempt}); Fixline runs "
        text += f"{mapped.action} once for this incident."
        ticket_id = self.open_ticket(source_name, source, subject, text) or incident.ticket_id
        run_id: str | None = None
        try:
            run = self.runs.start_run(
                RunRequest(
                    customer=mapped.customer,
                    ticket_id=ticket_id,
                    action=mapped.action,
                    params=dict(mapped.params),
                    requested_by=f"webhook:{source_name}",
                    requester_id=f"webhook:{source_name}",
                    channel=Channel.MONITORING,
                )
            )
            run_id = run.id
        except FixlineError as exc:
            run_id = exc.details.get("run_id")
            raise
        finally:
            with self.db.session() as session:
                session.execute(
                    update(Incident)
                    .where(Incident.id == incident.id)
                    .values(ticket_id=ticket_id, run_id=run_id)
                )
        return {
            "outcome": "started",
            "incident": incident.open_key,
            "ticket_id": ticket_id,
            "run_id": run_id,
        }

    def _reused(self, key: str) -> dict[str, Any]:
        with self.db.session() as session:
            open_one = session.scalars(select(Incident).where(Incident.open_key == key)).first()
        if open_one is None:
            raise UnmappedPayloadError(f"the incident of {key} closed meanwhile; send it again")
        return {
            "outcome": "reused",
            "incident": key,
            "ticket_id": open_one.ticket_id,
            "run_id": open_one.run_id,
        }

    def _close(self, key: str) -> bool:
        with self.db.session() as session:
            result = session.execute(
                update(Incident)
                .where(Incident.open_key == key)
                .values(open_key=None, closed_at=utcnow())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
