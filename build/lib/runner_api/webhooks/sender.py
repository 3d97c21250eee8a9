"""The sending side of a signed delivery (fixline nagios-event, tests, benches): v2."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from runner_api.webhooks.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_v2


def signed_headers(secret: str, body: bytes, key: str, at: int | None = None) -> dict[str, str]:
    """Content-Type, timestamp, signature (over timestamp, key and body) and Idempotency-Key."""
    now = int(time.time()) if at is None else at
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(now),
        SIGNATURE_HEADER: sign_v2(secret, now, key, body),
        "Idempotency-Key": key,
    }


def deliver(
    client: httpx.Client, source: str, secret: str, payload: dict[str, Any], key: str
) -> httpx.Response:
    """POST one signed JSON delivery to /webhooks/<source> of the client's base URL."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = signed_headers(secret, body, key)
    return client.post(f"/webhooks/{source}", content=body, headers=headers)
