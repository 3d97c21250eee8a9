"""Idempotency of deliveries (W2): the first copy of a key is handled, replays get its answer.

The claim is an INSERT under the unique (source, key) constraint, so of concurrent copies
exactly one wins, on SQLite and PostgreSQL alike; the others wait briefly for its answer.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from runner_api.database import Database
from runner_api.errors import ConflictError
from runner_api.types import utcnow
from runner_api.webhooks.models import WebhookDelivery


class IdempotencyError(ConflictError):
    """The key was used with another body, or its first copy is still being handled: 409."""

    code = "idempotency_error"


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]


class Deliveries:
    """Claims, settles and replays deliveries by (source, key)."""

    def __init__(self, db: Database, wait_s: float = 5.0, keep_s: float = 7 * 24 * 3600) -> None:
        self.db = db
        self.wait_s = wait_s
        self.keep_s = keep_s
        self._pruned_at = 0.0

    def claim(self, source: str, key: str, body_sha256: str) -> str | Answer:
        """The new row's id when this copy is the first; else the first copy's answer."""
        deadline = time.monotonic() + self.wait_s
        while True:
            row_id = str(uuid.uuid4())
            try:
                with self.db.session() as session:
                    session.add(
                        WebhookDelivery(
                            id=row_id,
                            source=source,
                            key=key,
                            body_sha256=body_sha256,
                            created_at=utcnow(),
                        )
                    )
                return row_id
            except IntegrityError:
                pass
            answer = self._stored(source, key, body_sha256)
            if answer is not None:
                return answer
            if time.monotonic() > deadline:
                raise IdempotencyError(
                    "the first copy of this delivery is still being handled; retry later",
                    key=key,
                )
            time.sleep(0.02)

    def _stored(self, source: str, key: str, body_sha256: str) -> Answer | None:
        with self.db.session() as session:
            row = session.scalars(
                select(WebhookDelivery).where(
                    WebhookDelivery.source == source, WebhookDelivery.key == key
                )
            ).first()
        if row is None:
            return None  # released meanwhile: claim again
        if row.body_sha256 != body_sha256:
            raise IdempotencyError(
                "this Idempotency-Key was used with another body; use a new key", key=key
            )
        if row.status_code is None or row.response is None:
            return None
        return Answer(row.status_code, row.response)

    def settle(self, row_id: str, answer: Answer, run_id: str | None) -> None:
        """Keep the answer for replays."""
        with self.db.session() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == row_id)
                .values(status_code=answer.status_code, response=answer.body, run_id=run_id)
            )

    def release(self, row_id: str) -> None:
        """Forget a claim whose handling failed in a way the sender should retry (429, 5xx)."""
        with self.db.session() as session:
            session.execute(delete(WebhookDelivery).where(WebhookDelivery.id == row_id))

    def prune_hourly(self) -> None:
        """A heartbeat chore: prune at most once an hour (a DELETE locks SQLite)."""
        if time.monotonic() - self._pruned_at >= 3600:
            self._pruned_at = time.monotonic()
            self.prune()

    def prune(self) -> int:
        """Drop deliveries older than keep_s (at least 24 h, W2)."""
        cutoff = utcnow() - timedelta(seconds=max(self.keep_s, 24 * 3600))
        with self.db.session() as session:
            result = session.execute(
                delete(WebhookDelivery).where(WebhookDelivery.created_at < cutoff)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]
