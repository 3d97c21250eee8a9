"""Migration 0009 on SQLite and PostgreSQL: deliveries recorded before it get their state,
and a claim a process left unanswered under 0008 no longer holds its key for ever."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import text

from runner_api.database import Database
from runner_api.secrets.cipher import SecretBox
from runner_api.types import utcnow
from runner_api.webhooks.deliveries import Deliveries

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
        # The claim of a process that died under 0008 is stale: the next copy is the first.
        deliveries = Deliveries(db, SecretBox(secrets.token_bytes(32)), wait_s=0.1)
        claim = deliveries.claim("nagios", "nagios-0008-2", "a" * 64)
        assert isinstance(claim, str) and claim != "row-2"
    finally:
        db.dispose()
