"""Migration 0011 on SQLite and PostgreSQL: rows of before get ids no caller has, live
tokens sharing a name keep working under unique names, old sessions end."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import text

from runner_api.audit.sink import NoAudit
from runner_api.auth.tokens import TokenStore
from runner_api.database import Database
from runner_api.types import utcnow

_TOKEN = text(
    "INSERT INTO api_tokens (id, name, token_hash, role, customers, actions, created_by, "
    "created_at) VALUES (:id, :name, :hash, 'agent', '[\"lab\"]', NULL, 'admin', :at)"
)
_SESSION = text(
    "INSERT INTO web_sessions (id, username, user_dn, display_name, roles, customers, "
    "created_at, last_seen_at, roles_checked_at) VALUES ('s1', 'alice.agent', 'CN=a', 'A', "
    "'[\"agent\"]', NULL, :at, :at, :at)"
)


def test_rows_of_0010_get_legacy_ids_and_unique_token_names(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.upgrade("0010")
        at = utcnow() - timedelta(hours=1)
        with db.connection() as connection:
            for n in range(3):
                values = {"id": f"tok{n}", "name": "rt", "hash": f"{n}" * 64}
                connection.execute(_TOKEN, values | {"at": at + timedelta(minutes=n)})
            connection.execute(_SESSION, {"at": at})
        db.upgrade("0011")
        with db.connection() as connection:
            names = dict(connection.execute(text("SELECT id, name FROM api_tokens")).all())
            persons = set(connection.execute(text("SELECT person FROM api_tokens")).scalars())
            ended = connection.execute(
                text("SELECT end_reason FROM web_sessions WHERE id = 's1'")
            ).scalar_one()
        # The newest keeps the name; the others are told apart by their ids.
        assert names == {"tok2": "rt", "tok1": "rt-tok1", "tok0": "rt-tok0"}
        assert persons == {"legacy:admin"}
        assert ended == "upgrade"
        # Every one still opens, as a caller no new row can be mistaken for.
        tokens = TokenStore(db, NoAudit())
        with db.connection() as connection:
            connection.execute(
                text("UPDATE api_tokens SET token_hash = :h WHERE id = 'tok0'"),
                {"h": hashlib.sha256(b"t0").hexdigest()},
            )
        caller = tokens.principal("t0")
        assert caller.id == "token:tok0" and caller.person == "legacy:admin"
    finally:
        db.dispose()
