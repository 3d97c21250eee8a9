"""A verified delivery's way to its answer: replay, accept (ticket systems) or handle now
(monitoring), with refusals kept under the delivery's key and replays refused.

The answer is what the sender gets and what a replay gets again, so a refusal is kept as
the HTTP answer it was: `answer_of` maps a domain error to it (the app's own mapping).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from runner_api.errors import FixlineError, InvalidParamsError
from runner_api.webhooks.deliveries import (
    Answer,
    Deliveries,
    DuplicateDeliveryError,
    IdempotencyError,
)
from runner_api.webhooks.service import Delivery, WebhookService
from runner_api.webhooks.sources import NAGIOS

AnswerOf = Callable[[FixlineError], Answer]


class EventHandler(Protocol):
    """Handles a monitoring event inside its request (monitoring/service.py)."""

    def handle_delivery(self, delivery: Delivery) -> dict[str, Any]:
        """The answer's body: what happened to the incident (a run started, reused ...)."""
        ...


class Receiver:
    """Turns a verified delivery into its kept answer (WebhookService does the work)."""

    def __init__(
        self,
        webhooks: WebhookService,
        deliveries: Deliveries,
        answer_of: AnswerOf,
        events: EventHandler,
    ) -> None:
        self.webhooks = webhooks
        self.deliveries = deliveries
        self.answer_of = answer_of
        self.events = events

    def receive(self, delivery: Delivery) -> Answer:
        """The answer of a delivery: the first copy's for a replay, else this one's."""
        received = delivery.received
        # Replays are answered from a read: no write, no wait behind other deliveries.
        answer = self.deliveries.find(received)
        if answer is not None:
            return answer
        try:
            if delivery.source_name == NAGIOS:
                return self._handled_now(delivery)
            return self._accepted(delivery)
        except DuplicateDeliveryError as exc:
            # Recorded under its own key (admins see the attempt), never a second run.
            return self.deliveries.refuse(received.as_replay(), self.answer_of(exc), exc.message)

    def _accepted(self, delivery: Delivery) -> Answer:
        try:
            return self.webhooks.accept(delivery)
        except (IdempotencyError, DuplicateDeliveryError):
            raise
        except FixlineError as exc:
            answer = self.answer_of(exc)
            if answer.status_code >= 500:
                raise  # not the sender's fault: nothing is kept, a retry may succeed
            return self.deliveries.refuse(delivery.received, answer, _reason(exc))

    def _handled_now(self, delivery: Delivery) -> Answer:
        """A monitoring event: handled inside the request under a claim of its key."""
        claim = self.deliveries.claim(delivery.received)
        if isinstance(claim, Answer):
            return claim
        try:
            answer = Answer(202, self.events.handle_delivery(delivery))
        except FixlineError as exc:
            answer = self.answer_of(exc)
            if answer.status_code == 429 or answer.status_code >= 500:
                self.deliveries.release(claim)  # the sender's retry may succeed later
                raise
        except BaseException:
            self.deliveries.release(claim)
            raise
        self.deliveries.settle(claim, answer, _run_of(answer))
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
