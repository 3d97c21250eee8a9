"""From a verified delivery to a run: map it, check the source's customers and the action's
parameters, then accept it (its run is started from the queue by starter.py).

Monitoring events are the exception: handled inside their request by an EventHandler
(monitoring/), which the receiver is given.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from runner_api.auth.errors import PermissionDeniedError
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest, RunService
from runner_api.settings import Settings
from runner_api.webhooks.deliveries import Answer, Deliveries, Received
from runner_api.webhooks.mapping import UnmappedPayloadError, map_payload
from runner_api.webhooks.queued import QueuedRun
from runner_api.webhooks.signature import Scheme, SignatureError, Signed, verify
from runner_api.webhooks.sources import Source, Sources, requester_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """A delivery whose signature was verified; `key` is its Idempotency-Key."""

    source_name: str
    source: Source
    key: str
    body: bytes
    signed: Signed

    @cached_property
    def received(self) -> Received:
        """What the delivery table keeps of it (the body hashed once)."""
        return Received(
            source=self.source_name,
            key=self.key,
            body_sha256=hashlib.sha256(self.body).hexdigest(),
            sent_at=self.signed.sent_at,
            scheme=self.signed.scheme.value,
        )


class WebhookService:
    """Verifies deliveries and turns them into runs (or monitoring incidents)."""

    def __init__(
        self,
        settings: Settings,
        sources: Sources,
        runs: RunService,
        deliveries: Deliveries,
        accepted: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.sources = sources
        self.runs = runs
        self.deliveries = deliveries
        # Wakes the starter (starter.WebhookStarter.kick) once an accepted delivery is stored.
        self.accepted = accepted

    def verified(
        self,
        source_name: str,
        timestamp: str | None,
        signature: str | None,
        key: str,
        body: bytes,
    ) -> tuple[Source, Signed]:
        """The source and what its signature vouches for, when the delivery is signed with
        one of its active secrets (v1 only from a source that still accepts it)."""
        source = self.sources.find(source_name)
        secrets = self.settings.webhook_secrets.get(source_name, [])
        # An unknown source is refused like a bad signature: names are not revealed.
        signed = verify(
            secrets if source is not None else [],
            timestamp,
            signature,
            key,
            body,
            now=time.time(),
            tolerance_s=self.settings.webhook_tolerance_s,
            accept_v1=source is not None and source.accept_v1_signatures,
        )
        if source is None:
            raise SignatureError("unknown source")
        if signed.scheme is Scheme.V1:
            log.warning("webhook source %s: a delivery signed v1 (key unsigned)", source_name)
        return source, signed

    def accept(self, delivery: Delivery) -> Answer:
        """Check what the delivery asks for and keep it to start: 202 with the run id it will
        have (or the first copy's answer). Domain errors propagate, to be recorded."""
        mapped = map_payload(delivery.source_name, delivery.source, payload_of(delivery.body))
        if mapped.customer not in delivery.source.customers:
            raise PermissionDeniedError(
                f"source {delivery.source_name!r} may not start runs for {mapped.customer!r}"
            )
        request = RunRequest(
            customer=mapped.customer,
            ticket_id=mapped.ticket_id,
            action=mapped.action,
            params=mapped.params,
            requested_by=requester_of(delivery.source_name),
            requester_id=requester_of(delivery.source_name),
            channel=Channel.WEBHOOK,
        )
        # The action's schema now (422 at once); policy and rate limits when it starts.
        checked = self.runs.check(request)
        queued = QueuedRun(
            customer=request.customer,
            ticket_id=request.ticket_id,
            action=request.action,
            target=checked.target,
            requested_by=request.requested_by,
            channel=request.channel,
            rule=mapped.rule,
            masked_params=checked.stored,
        )
        answer, first = self.deliveries.accept(delivery.received, queued, checked.sealable)
        if first:
            self.accepted()
        return answer


def payload_of(body: bytes) -> dict[str, Any]:
    """A delivery's body as a JSON object (UnmappedPayloadError otherwise)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UnmappedPayloadError("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise UnmappedPayloadError("the body is not a JSON object")
    return payload
