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

from runner_api.api.deps import CoreDep, get_core
from runner_api.api.errors import ErrorResponse, body_of, status_of
from runner_api.core import Core
from runner_api.errors import FixlineError, InvalidParamsError, InvalidRequestError
from runner_api.outbox.routes import add_listing
from runner_api.webhooks.deliveries import (
    Answer,
    DuplicateDeliveryError,
    IdempotencyError,
    list_deliveries,
)
from runner_api.webhooks.models import DeliveryStatus
from runner_api.webhooks.schemas import WebhookDeliveryRead
from runner_api.webhooks.service import Delivery
from runner_api.webhooks.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER
from runner_api.webhooks.sources import NAGIOS

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
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


async def verified_delivery(request: Request, source: str) -> Delivery:
    """The delivery, once its HMAC signature and timestamp check out (else 401).

    Headers are read here, not declared as parameters: FastAPI would validate those before
    the signature, and an unsigned request must get 401 whatever else is wrong with it.
    """
    body = await request.body()
    core = get_core(request)
    key = request.headers.get("Idempotency-Key") or request.headers.get("X-Fixline-Delivery")
    # The key is signed (v2): checked for its form only once the signature holds.
    checked, signed = core.webhooks.verified(
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
    core: CoreDep, delivery: Annotated[Delivery, Depends(verified_delivery)]
) -> JSONResponse:
    """Headers: X-Fixline-Timestamp, X-Fixline-Signature (v2=HMAC-SHA256 of
    "v2\\n<ts>\\n<key>\\n<body>"), Idempotency-Key. Answers 202 with the id its run will
    have (status "accepted"); the run starts moments later. Replays with the same key return
    the first answer; the same timestamp and body under another key are refused (409)."""
    received = delivery.received
    # Replays are answered from a read: no write, no wait behind other deliveries.
    answer = core.deliveries.find(received)
    if answer is None:
        try:
            if delivery.source_name == NAGIOS:
                answer = _handled_now(core, delivery)
            else:
                answer = _accepted(core, delivery)
        except DuplicateDeliveryError as exc:
            # Recorded under its own key (admins see the attempt), never a second run.
            refused = Answer(status_of(exc), body_of(exc))
            answer = core.deliveries.refuse(received.as_replay(), refused, exc.message)
    return JSONResponse(answer.body, answer.status_code)


def _accepted(core: Core, delivery: Delivery) -> Answer:
    try:
        return core.webhooks.accept(delivery)
    except (IdempotencyError, DuplicateDeliveryError):
        raise
    except FixlineError as exc:
        answer = Answer(status_of(exc), body_of(exc))
        if answer.status_code >= 500:
            raise  # not the sender's fault: nothing is kept, a retry may succeed
        return core.deliveries.refuse(delivery.received, answer, _reason(exc))


def _handled_now(core: Core, delivery: Delivery) -> Answer:
    """A monitoring event: handled inside the request under a claim of its key."""
    claim = core.deliveries.claim(delivery.received)
    if isinstance(claim, Answer):
        return claim
    try:
        answer = Answer(202, core.webhooks.handle_event(delivery))
    except FixlineError as exc:
        answer = Answer(status_of(exc), body_of(exc))
        if answer.status_code == 429 or answer.status_code >= 500:
            core.deliveries.release(claim)  # the sender's retry may succeed later
            raise
    except BaseException:
        core.deliveries.release(claim)
        raise
    core.deliveries.settle(claim, answer, _run_of(answer))
    return answer


def _run_of(answer: Answer) -> str | None:
    """The run an answer names: started, reused, or refused (in the error's details)."""
    run_id = answer.body.get("run_id") or answer.body.get("error", {}).get("details", {}).get(
        "run_id"
    )
    return str(run_id) if run_id else None


def _reason(exc: FixlineError) -> str:
    """What admins read of a refusal: the message, and for parameters which ones failed."""
    if not isinstance(exc, InvalidParamsError):
        return exc.message
    fields = "; ".join(
        ".".join(str(part) for part in error["loc"]) + f": {error['msg']}" for error in exc.errors
    )
    return f"{exc.message}: {fields}" if fields else exc.message
