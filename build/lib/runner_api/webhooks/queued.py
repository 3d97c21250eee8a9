"""What an accepted delivery starts later: its run request, stored with secret values masked,
and its parameters (secrets in clear) sealed with AES-GCM to the delivery's row."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest
from runner_api.secrets.cipher import SecretBox
from runner_api.secrets.sealed import SealedColumn
from runner_api.webhooks.models import WebhookDelivery


@dataclass(frozen=True)
class QueuedRun:
    """The run a delivery was accepted for, as its row keeps it (no secret in clear)."""

    customer: str
    ticket_id: str
    action: str
    target: str
    requested_by: str
    channel: Channel
    rule: str
    masked_params: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueuedRun:
        return cls(**{**data, "channel": Channel(data["channel"])})

    def run_request(self, params: dict[str, Any]) -> RunRequest:
        """The request start_run gets, with the unsealed parameters."""
        return RunRequest(
            customer=self.customer,
            ticket_id=self.ticket_id,
            action=self.action,
            params=params,
            requested_by=self.requested_by,
            # "webhook:<source>": a source's name is its identity (keys of webhooks.yml).
            requester_id=self.requested_by,
            channel=self.channel,
        )


def _context(row_id: str) -> str:
    # Bound to the row: a sealed copy moved to another delivery does not open.
    return f"webhook-delivery:{row_id}:params"


SEALED_DELIVERIES = SealedColumn(WebhookDelivery.sealed_params, lambda row: _context(row.id))


def seal_params(box: SecretBox, row_id: str, params: dict[str, Any]) -> bytes:
    """JSON-ready parameters, secrets in clear, sealed for the delivery row row_id."""
    return box.seal(json.dumps(params), _context(row_id))


def open_params(box: SecretBox, row_id: str, sealed: bytes) -> dict[str, Any]:
    """The parameters sealed for row_id (secrets in clear: memory only)."""
    opened: dict[str, Any] = json.loads(box.open(sealed, _context(row_id)))
    return opened
