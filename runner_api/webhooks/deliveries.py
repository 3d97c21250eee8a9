"""Idempotency of deliveries: the first copy of a key is handled, replays get its answer.

The first copy is an INSERT under the unique (source, key) constraint, so of concurrent
copies exactly one wins, on SQLite and PostgreSQL alike. The same INSERT meets a second
unique constraint, (source, signed timestamp, body): the same signed bytes under another key
are a replay, refused with DuplicateDeliveryError (409), across processes too. An accepted
or refused delivery is inserted together with its answer (one transaction): no copy ever
waits for it. Only a
delivery handled inside its request (claim, then settle) has a moment without an answer;
its replays wait briefly, and a claim left unanswered by a dead process is taken over once
stale, so it cannot wedge its key.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from runner_api.database import Database
from runner_api.errors import ConflictError
from runner_api.outbox.listing import newest
from runner_api.secrets.cipher import SecretBox
from runner_api.types import utcnow
from runner_api.webhooks.models import DeliveryStatus, WebhookDelivery
from runner_api.webhooks.queued import QueuedRun, seal_params

_KEEP_AT_LEAST_S = 24 * 3600  # keys are kept a day at least: a retried delivery is recognised
# Built once: on the answer's path, building a statement per call cost more than running it.
_INSERT = insert(WebhookDelivery)
_FIND = select(
    WebhookDelivery.id,
    WebhookDelivery.body_sha256,
    WebhookDelivery.status_code,
    WebhookDelivery.response,
    WebhookDelivery.created_at,
).where(WebhookDelivery.source == bindparam("source"), WebhookDelivery.key == bindparam("key"))
_FIND_SENT = select(WebhookDelivery.id).where(
    WebhookDelivery.source == bindparam("source"),
    WebhookDelivery.sent_at == bindparam("sent_at"),
    WebhookDelivery.body_sha256 == bindparam("body_sha256"),
)


class IdempotencyError(ConflictError):
    """The key was used with another body, or its first copy is still being handled: 409."""

    code = "idempotency_error"


class DuplicateDeliveryError(ConflictError):
    """The same signed timestamp and body came before under another key: a replay, 409."""

    code = "duplicate_delivery"


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Received:
    """One verified delivery as the table knows it: source and key, what was signed (time and
    body digest) and the scheme it was signed with."""

    source: str
    key: str
    body_sha256: str
    sent_at: int | None
    scheme: str

    def as_replay(self) -> Received:
        """This delivery, to record its refusal as a replay (no timestamp: no collision)."""
        return replace(self, sent_at=None)


class Deliveries:
    """Records deliveries by (source, key) and answers replays."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        wait_s: float = 5.0,
        stale_s: float = 120.0,
        keep_s: float = 7 * 24 * 3600,
    ) -> None:
        self.db = db
        self.box = box
        self.wait_s = wait_s
        # Longer than any handling inside a request (a ticket opened, a run started).
        self.stale_s = stale_s
        self.keep_s = keep_s
        self._pruned_at = 0.0

    def find(self, received: Received) -> Answer | None:
        """The answer of an earlier copy (a read only); None when there is none yet."""
        row = self._row(received.source, received.key)
        if row is None:
            return None
        if row.body_sha256 != received.body_sha256:
            raise _another_body(received.key)
        return _answer_of(row)

    def accept(
        self, received: Received, queued: QueuedRun, params: dict[str, Any]
    ) -> tuple[Answer, bool]:
        """Record the first copy as accepted: 202 with a new run id, the run to start kept
        with `params` sealed. A replay gets the first copy's answer; True if this was it."""
        row_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
        answer = Answer(
            202,
            {
                "run_id": run_id,
                "status": DeliveryStatus.ACCEPTED.value,
                "ticket_id": queued.ticket_id,
                "rule": queued.rule,
            },
        )
        row = _values(row_id, received, DeliveryStatus.ACCEPTED, answer)
        row |= {
            "run_id": run_id,
            "request": queued.as_json(),
            "sealed_params": seal_params(self.box, row_id, params),
        }
        first = self._insert_or_answer(row)
        return (answer, True) if first is None else (first, False)

    def refuse(self, received: Received, answer: Answer, reason: str) -> Answer:
        """Record the first copy as refused with its answer and reason; replays get it."""
        row = _values(str(uuid.uuid4()), received, DeliveryStatus.REFUSED, answer)
        row["reason"] = reason
        return self._insert_or_answer(row) or answer

    def claim(self, received: Received) -> str | Answer:
        """For a delivery handled inside its request: the new row's id when this copy is the
        first (settle or release it); else the first copy's answer."""
        row_id = str(uuid.uuid4())
        row = _values(row_id, received, DeliveryStatus.HANDLING, None)
        return self._insert_or_answer(row) or row_id

    def settle(self, row_id: str, answer: Answer, run_id: str | None) -> None:
        """Keep the answer of a claimed delivery for replays."""
        refused = answer.status_code >= 400
        status = DeliveryStatus.REFUSED if refused else DeliveryStatus.HANDLED
        reason = answer.body.get("error", {}).get("message") if refused else None
        with self.db.connection() as connection:
            connection.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == row_id)
                .values(
                    status=status.value,
                    status_code=answer.status_code,
                    response=answer.body,
                    reason=reason,
                    run_id=run_id,
                )
            )

    def release(self, row_id: str) -> None:
        """Forget a claim whose handling failed in a way the sender should retry (429, 5xx)."""
        with self.db.connection() as connection:
            connection.execute(delete(WebhookDelivery).where(WebhookDelivery.id == row_id))

    def prune_hourly(self) -> None:
        """A heartbeat chore: prune at most once an hour (a DELETE locks SQLite)."""
        if time.monotonic() - self._pruned_at >= 3600:
            self._pruned_at = time.monotonic()
            self.prune()

    def prune(self) -> int:
        """Drop deliveries older than keep_s (at least 24 h, so that a retry is still
        recognised); never one not yet started."""
        cutoff = utcnow() - timedelta(seconds=max(self.keep_s, _KEEP_AT_LEAST_S))
        with self.db.connection() as connection:
            result = connection.execute(
                delete(WebhookDelivery).where(
                    WebhookDelivery.created_at < cutoff,
                    WebhookDelivery.status != DeliveryStatus.ACCEPTED.value,
                )
            )
            return int(result.rowcount)

    def _insert_or_answer(self, row: dict[str, Any]) -> Answer | None:
        """None when `row` went in (this copy is the first); else the first copy's answer."""
        source, key = row["source"], row["key"]
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                with self.db.connection() as connection:
                    connection.execute(_INSERT, row)
                return None
            except IntegrityError:
                pass
            first = self._row(source, key)
            if first is None and self._sent_before(row):
                raise DuplicateDeliveryError(
                    "this timestamp and body were delivered before under another "
                    "Idempotency-Key: a replay, not started again",
                    key=key,
                )
            if first is None:
                continue  # released meanwhile: this copy may be the first after all
            if first.body_sha256 != row["body_sha256"]:
                raise _another_body(key)
            answer = _answer_of(first)
            if answer is not None:
                return answer
            if first.created_at < utcnow() - timedelta(seconds=self.stale_s):
                self._take_over(first.id)
                continue
            if time.monotonic() > deadline:
                raise IdempotencyError(
                    "the first copy of this delivery is still being handled; retry later",
                    key=key,
                )
            time.sleep(0.02)

    def _row(self, source: str, key: str) -> Any:
        with self.db.connection() as connection:
            return connection.execute(_FIND, {"source": source, "key": key}).first()

    def _sent_before(self, row: dict[str, Any]) -> bool:
        """Whether a row of the same source, signed timestamp and body is stored."""
        if row["sent_at"] is None:
            return False
        names = ("source", "sent_at", "body_sha256")
        with self.db.connection() as connection:
            found = connection.execute(_FIND_SENT, {n: row[n] for n in names}).first()
        return found is not None

    def _take_over(self, row_id: str) -> None:
        """Drop a claim its process never answered (it died): the next copy is the first."""
        with self.db.connection() as connection:
            connection.execute(
                delete(WebhookDelivery).where(
                    WebhookDelivery.id == row_id,
                    WebhookDelivery.status == DeliveryStatus.HANDLING.value,
                )
            )


def list_deliveries(
    db: Database, status: DeliveryStatus | None, limit: int
) -> list[WebhookDelivery]:
    """Newest first, optionally of one status (the admins' view)."""
    return newest(db, WebhookDelivery, status.value if status else None, limit)


def _values(
    row_id: str, received: Received, status: DeliveryStatus, answer: Answer | None
) -> dict[str, Any]:
    return {
        "id": row_id,
        "source": received.source,
        "key": received.key,
        "body_sha256": received.body_sha256,
        "sent_at": received.sent_at,
        "scheme": received.scheme,
        "status": status.value,
        "status_code": answer.status_code if answer else None,
        "response": answer.body if answer else None,
        "created_at": utcnow(),
    }


def _answer_of(row: Any) -> Answer | None:
    if row.status_code is None or row.response is None:
        return None
    return Answer(row.status_code, row.response)


def _another_body(key: str) -> IdempotencyError:
    return IdempotencyError(
        "this Idempotency-Key was used with another body; use a new key", key=key
    )
