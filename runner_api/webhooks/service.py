"""From a verified delivery to a run: map it, check the source's customers, start_run."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from runner_api.auth.errors import PermissionDeniedError
from runner_api.monitoring.service import Monitoring, NagiosEvent
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest, RunService
from runner_api.settings import Settings
from runner_api.tickets.outbox import requester_of
from runner_api.webhooks.deliveries import Deliveries
from runner_api.webhooks.mapping import UnmappedPayloadError, map_payload
from runner_api.webhooks.signature import SignatureError, verify
from runner_api.webhooks.sources import NAGIOS, Source, Sources


@dataclass(frozen=True)
class Delivery:
    """A delivery whose signature was verified; `key` is its Idempotency-Key."""

    source_name: str
    source: Source
    key: str
    body: bytes


class WebhookService:
    """Verifies deliveries and turns them into runs (or monitoring incidents)."""

    def __init__(
        self,
        settings: Settings,
        sources: Sources,
        runs: RunService,
        deliveries: Deliveries,
        monitoring: Monitoring,
    ) -> None:
        self.settings = settings
        self.sources = sources
        self.runs = runs
        self.deliveries = deliveries
        self.monitoring = monitoring

    def verified(
        self, source_name: str, timestamp: str | None, signature: str | None, body: bytes
    ) -> Source:
        """The source, when the delivery is signed with one of its active secrets."""
        source = self.sources.find(source_name)
        secrets = self.settings.webhook_secrets.get(source_name, [])
        # An unknown source is refused like a bad signature: names are not revealed.
        verify(
            secrets if source is not None else [],
            timestamp,
            signature,
            body,
            now=time.time(),
            tolerance_s=self.settings.webhook_tolerance_s,
        )
        if source is None:
            raise SignatureError("unknown source")
        return source

    def handle(self, delivery: Delivery) -> dict[str, Any]:
        """Start what the delivery maps to; domain errors propagate (and are recorded)."""
        payload = _payload(delivery.body)
        if delivery.source_name == NAGIOS:
            try:
                event = NagiosEvent.model_validate(payload)
            except ValidationError as exc:
                raise UnmappedPayloadError(
                    f"not a Nagios event: {exc.error_count()} error(s)"
                ) from None
            return self.monitoring.handle(delivery.source_name, delivery.source, event)
        mapped = map_payload(delivery.source_name, delivery.source, payload)
        if mapped.customer not in delivery.source.customers:
            raise PermissionDeniedError(
                f"source {delivery.source_name!r} may not start runs for {mapped.customer!r}"
            )
        run = self.runs.start_run(
            RunRequest(
                customer=mapped.customer,
                ticket_id=mapped.ticket_id,
                action=mapped.action,
                params=mapped.params,
                requested_by=requester_of(delivery.source_name),
                channel=Channel.WEBHOOK,
            )
        )
        return {
            "run_id": run.id,
            "status": run.status,
            "ticket_id": run.ticket_id,
            "rule": mapped.rule,
        }


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UnmappedPayloadError("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise UnmappedPayloadError("the body is not a JSON object")
    return payload
