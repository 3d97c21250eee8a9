"""POST /webhooks/{source}: signed by HMAC instead of a bearer token (deps.SIGNED_PATHS);
GET /webhooks/deliveries: what was received, and why deliveries were refused (admins).

The answer is kept under the delivery's Idempotency-Key: a replay gets the same status and
body, and a refused payload (422, 403) stays recorded there with its reason. The same signed
timestamp and body under a fresh key is a replay too: 409 duplicate_delivery, recorded.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from runner_api.errors import InvalidRequestError
from runner_api.outbox.routes import add_listing
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service
from runner_api.webhooks.deliveries import list_deliveries
from runner_api.webhooks.models import DeliveryStatus
from runner_api.webhooks.receiving import Receiver
from runner_api.webhooks.schemas import WebhookDeliveryRead
from runner_api.webhooks.service import Delivery, WebhookService
from runner_api.webhooks.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
ReceiverDep = Annotated[Receiver, service(Receiver)]
WebhooksDep = Annotated[WebhookService, service(WebhookService)]
KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,128}")

add_listing(
    router,
    "/deliveries",
    rows=list_deliveries,
    statuses=DeliveryStatus,
    read=WebhookDeliveryRead,
    name="webhook_deliveries",
    summary="Webhook deliveries received (never their bodies), newest first",
    description="Filter by status (refused: answered 4xx, or its run was refused when it "
    "started; accepted: answered 202, its run not started yet).",
    what="the webhook deliveries",
)


async def verified_delivery(request: Request, source: str, webhooks: WebhooksDep) -> Delivery:
    """The delivery, once its HMAC signature and timestamp check out (else 401).

    Headers are read here, not declared as parameters: FastAPI would validate those before
    the signature, and an unsigned request must get 401 whatever else is wrong with it.
    """
    body = await request.body()
    key = request.headers.get("Idempotency-Key") or request.headers.get("X-Fixline-Delivery")
    # The key is signed (v2): checked for its form only once the signature holds.
    checked, signed = webhooks.verified(
        source,
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        key or "",
        body,
    )
    if key is None or not KEY_PATTERN.fullmatch(key):
        raise InvalidRequestError(
            "send an Idempotency-Key (or X-Fixline-Delivery) of 8-128 characters A-Za-z0-9._:-"
        )
    return Delivery(source, checked, key, body, signed)


@router.post(
    "/{source}",
    status_code=202,
    summary="A signed delivery from a ticket system or monitoring; answers 202 at once",
    responses={
        401: {"model": ErrorResponse, "description": "Unsigned, stale or tampered."},
        403: {"model": ErrorResponse, "description": "Customer not allowed for the source."},
        409: {
            "model": ErrorResponse,
            "description": "Key reused with another body (idempotency_error), or the same "
            "timestamp and body sent before under another key (duplicate_delivery).",
        },
        422: {"model": ErrorResponse, "description": "No rule matches, or invalid params."},
    },
)
def receive(
    receiver: ReceiverDep, delivery: Annotated[Delivery, Depends(verified_delivery)]
) -> JSONResponse:
    """Headers: X-Fixline-Timestamp, X-Fixline-Signature (v2=HMAC-SHA256 of
    "v2\\n<ts>\\n<key>\\n<body>"), Idempotency-Key. Answers 202 with the id its run will
    have (status "accepted"); the run starts moments later. Replays with the same key return
    the first answer; the same timestamp and body under another key are refused (409)."""
    answer = receiver.receive(delivery)
    return JSONResponse(answer.body, answer.status_code)
