"""The seam to ticket systems: one Protocol, a generic JSON callback and Request Tracker 5.

httpx errors and unexpected answers are translated here into DeliveryError; the relay
retries. RT answers 200 with an error text for a refused status change, so the messages
it returns are checked, not only the HTTP status.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Protocol

import httpx
from pydantic import SecretStr

from runner_api.outbox.relay import DeliveryError
from runner_api.webhooks.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_v1

# RT 5 answers 200 with texts like "Status 'x' isn't a valid status for this ticket."
_REFUSAL = re.compile(r"\b(isn't|not|no permission|invalid|could not)\b", re.IGNORECASE)


class TicketSystem(Protocol):
    """Writes into one ticket system; raises DeliveryError only."""

    def comment(self, ticket_id: str, text: str, update_key: str) -> None:
        """Add an internal comment; update_key is stable across retries of one update."""
        ...

    def update(self, ticket_id: str, status: str | None, fields: dict[str, Any]) -> None:
        """Set the ticket's status and custom fields (either may be empty)."""
        ...

    def open(self, queue: str, subject: str, text: str) -> str:
        """Create a ticket and return its id."""
        ...


class CallbackTicketSystem:
    """POSTs one signed JSON document per update to the source's callback URL."""

    def __init__(self, url: str, secret: SecretStr | None, client: httpx.Client) -> None:
        self.url = url
        self.secret = secret
        self.client = client

    def comment(self, ticket_id: str, text: str, update_key: str) -> None:
        self._post({"type": "comment", "ticket_id": ticket_id, "text": text}, update_key)

    def update(self, ticket_id: str, status: str | None, fields: dict[str, Any]) -> None:
        if status or fields:
            body = {"type": "update", "ticket_id": ticket_id, "status": status, "fields": fields}
            self._post(body, f"{ticket_id}:update")

    def open(self, queue: str, subject: str, text: str) -> str:
        raise DeliveryError("a callback receiver cannot open tickets")

    def _post(self, document: dict[str, Any], key: str) -> None:
        body = json.dumps(document, sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        if self.secret is not None:
            now = int(time.time())
            headers[TIMESTAMP_HEADER] = str(now)
            headers[SIGNATURE_HEADER] = sign_v1(self.secret.get_secret_value(), now, body)
        _check(_send(self.client, "POST", self.url, content=body, headers=headers), self.url)


class RtTicketSystem:
    """Request Tracker 5 over REST 2 (`Authorization: token ...`)."""

    def __init__(self, base_url: str, token: SecretStr, client: httpx.Client) -> None:
        self.api = base_url.rstrip("/") + "/REST/2.0"
        self.token = token
        self.client = client

    def comment(self, ticket_id: str, text: str, update_key: str) -> None:
        # RT has no idempotency key: the key goes into the comment, so a duplicate after a
        # crash between send and settle is recognisable in the ticket.
        body = {"Content": f"{text}\n[fixline-update {update_key}]", "ContentType": "text/plain"}
        self._call("POST", f"/ticket/{_rt_id(ticket_id)}/comment", body)

    def update(self, ticket_id: str, status: str | None, fields: dict[str, Any]) -> None:
        body: dict[str, Any] = {}
        if status:
            body["Status"] = status
        if fields:
            body["CustomFields"] = fields
        if not body:
            return
        messages = self._call("PUT", f"/ticket/{_rt_id(ticket_id)}", body)
        refused = [m for m in messages if isinstance(m, str) and _REFUSAL.search(m)]
        if refused:
            raise DeliveryError(f"RT refused the change: {'; '.join(refused)[:300]}")

    def open(self, queue: str, subject: str, text: str) -> str:
        body = {"Queue": queue, "Subject": subject, "Content": text, "ContentType": "text/plain"}
        created = self._call("POST", "/ticket", body)
        if not isinstance(created, dict) or "id" not in created:
            raise DeliveryError("RT did not return the new ticket's id")
        return str(created["id"])

    def _call(self, method: str, path: str, body: dict[str, Any]) -> Any:
        headers = {"Authorization": f"token {self.token.get_secret_value()}"}
        answer = _send(self.client, method, self.api + path, json=body, headers=headers)
        _check(answer, f"RT {method} {path}")
        try:
            return answer.json()
        except ValueError:
            raise DeliveryError(f"RT {method} {path}: the answer is not JSON") from None


def _rt_id(ticket_id: str) -> str:
    if not ticket_id.isdigit():
        raise DeliveryError(f"{ticket_id!r} is not an RT ticket number")
    return ticket_id


def _send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{url}: {type(exc).__name__}: {exc}"[:300]) from exc


def _check(answer: httpx.Response, what: str) -> None:
    if answer.status_code >= 300:
        raise DeliveryError(f"{what}: HTTP {answer.status_code} {answer.text[:200]}")
