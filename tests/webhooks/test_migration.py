"""Migration 0009 on SQLite and PostgreSQL: deliveries recorded before it get their state,
and a claim a process left unanswered under 0008 no longer holds its key for ever."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import text

from runner_api.database import Database
from runner_api.secrets.cipher import SecretBox
from runner_api.types import utcnow
from runner_api.webhooks.deliveries import Deliveries, DuplicateDeliveryError, Received

INSERT_0008 = text(
    "INSERT INTO webhook_deliveries (id, source, key, body_sha256, status_code, response, "
    "run_id, created_at) VALUES (:id, 'nagios', :key, :sha, :code, NULL, NULL, :at)"
)


def test_rows_of_0008_get_a_state_and_an_unanswered_claim_is_taken_over(
    database_url: str,
) -> None:
    db = Database(database_url)
    try:
        db.upgrade("0008")
        old = utcnow() - timedelta(hours=1)
        with db.connection() as connection:
            for n, code in enumerate([202, 422, None]):
                values = {"id": f"row-{n}", "key": f"nagios-0008-{n}", "sha": "a" * 64}
                connection.execute(INSERT_0008, values | {"code": code, "at": old})
        db.upgrade("0009")
        with db.connection() as connection:
            states = connection.execute(
                text("SELECT key, status FROM webhook_deliveries ORDER BY key")
            ).all()
        assert [tuple(row) for row in states] == [
            ("nagios-0008-0", "handled"),
            ("nagios-0008-1", "refused"),
            ("nagios-0008-2", "handling"),
        ]
        # The claim of a process that died under 0008 is stale: the next copy is the first
        # (for today's code, on a store migrated to the head).
        db.upgrade()
        deliveries = Deliveries(db, SecretBox(secrets.token_bytes(32)), wait_s=0.1)
        claim = deliveries.claim(Received("nagios", "nagios-0008-2", "a" * 64, 1, "v2"))
        assert isinstance(claim, str) and claim != "row-2"
    finally:
        db.dispose()


INSERT_0011 = text(
    "INSERT INTO webhook_deliveries (id, source, key, body_sha256, status, status_code, "
    "response, run_id, created_at) VALUES (:id, 'generic', :key, :sha, 'refused', 422, NULL, "
    "NULL, :at)"
)


def test_0012_keeps_older_rows_and_refuses_a_second_delivery_of_one_signed_body(
    database_url: str,
) -> None:
    db = Database(database_url)
    try:
        db.upgrade("0011")
        with db.connection() as connection:
            # Before 0012 nothing tied deliveries to their timestamp: same body, two keys.
            for n in range(2):
                values = {"id": f"row-{n}", "key": f"delivery-0011-{n}", "sha": "a" * 64}
                connection.execute(INSERT_0011, values | {"at": utcnow()})
        db.upgrade("0012")
        with db.connection() as connection:
            kept = connection.execute(
                text("SELECT key, sent_at, scheme FROM webhook_deliveries ORDER BY key")
            ).all()
        assert [tuple(row) for row in kept] == [
            ("delivery-0011-0", None, None),
            ("delivery-0011-1", None, None),
        ]
        deliveries = Deliveries(db, SecretBox(secrets.token_bytes(32)), wait_s=0.1)
        first = Received("generic", "delivery-0012-0", "a" * 64, 1_800_000_000, "v2")
        assert isinstance(deliveries.claim(first), str)
        with pytest.raises(DuplicateDeliveryError):
            deliveries.claim(Received("generic", "fresh-key-0012", "a" * 64, 1_800_000_000, "v2"))
    finally:
        db.dispose()
