"""POST /webhooks/{source}: signed by HMAC instead of a bearer token (deps.SIGNED_PATHS).

The answer is kept under the delivery's Idempotency-Key: a replay gets the same status and
body, and a refused payload (422, 403) stays recorded there with its reason.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from runner_api.api.deps import CoreDep, get_core
from runner_api.api.errors import ErrorResponse, body_of, status_of
from runner_api.auth.errors import RateLimitedError
from runner_api.errors import FixlineError, InvalidRequestError
from runner_api.webhooks.deliveries import Answer
from runner_api.webhooks.service import Delivery
from runner_api.webhooks.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,128}")


async def verified_delivery(request: Request, source: str) -> Delivery:
    """The delivery, once its HMAC signature and timestamp check out (else 401).

    Headers are read here, not declared as parameters: FastAPI would validate those before
    the signature, and an unsigned request must get 401 whatever else is wrong with it.
    """
    body = await request.body()
    core = get_core(request)
    checked = core.webhooks.verified(
        source,
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        body,
    )
    key = request.headers.get("Idempotency-Key") or request.headers.get("X-Fixline-Delivery")
    if key is None or not KEY_PATTERN.fullmatch(key):
        raise InvalidRequestError(
            "send an Idempotency-Key (or X-Fixline-Delivery) of 8-128 characters A-Za-z0-9._:-"
        )
    return Delivery(source, checked, key, body)


@router.post(
    "/{source}",
    status_code=202,
    summary="A signed delivery from a ticket system or monitoring; answers 202 at once",
    responses={
        401: {"model": ErrorResponse, "description": "Unsigned, stale or tampered."},
        403: {"model": ErrorResponse, "description": "Customer not allowed for the source."},
        409: {"model": ErrorResponse, "description": "Key reused with another body."},
        422: {"model": ErrorResponse, "description": "No rule matches, or invalid params."},
    },
)
def receive(
    core: CoreDep, delivery: Annotated[Delivery, Depends(verified_delivery)]
) -> JSONResponse:
    """Headers: X-Fixline-Timestamp, X-Fixline-Signature (sha256=HMAC of "<ts>.<body>"),
    Idempotency-Key. Replays with the same key return the first answer."""
    digest = hashlib.sha256(delivery.body).hexdigest()
    claim = core.deliveries.claim(delivery.source_name, delivery.key, digest)
    if isinstance(claim, Answer):
        return JSONResponse(claim.body, claim.status_code)
    try:
        answer = Answer(202, core.webhooks.handle(delivery))
    except RateLimitedError:
        core.deliveries.release(claim)  # the sender's retry may succeed later
        raise
    except FixlineError as exc:
        answer = Answer(status_of(exc), body_of(exc))
        if answer.status_code >= 500:
            core.deliveries.release(claim)
            raise
    except BaseException:
        core.deliveries.release(claim)
        raise
    core.deliveries.settle(claim, answer, answer.body.get("run_id") or _run_of(answer))
    return JSONResponse(answer.body, answer.status_code)


def _run_of(answer: Answer) -> str | None:
    run_id = answer.body.get("error", {}).get("details", {}).get("run_id")
    return str(run_id) if run_id else None
