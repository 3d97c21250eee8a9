"""Principals' unique ids: runs, approvals, reveals and tokens bind to who asked, not to a name.

Rows written before this revision only know names. They get ids of the form
"legacy:<name>", which no caller ever has: their reveals open for nobody, and only a
senior agent or an admin cancels their runs. Sessions started before it end (their
agents sign in again, and the session learns the account's objectGUID). Live tokens that
share a name keep working; all but the newest are renamed "<name>-<token id>".

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_LEGACY = "'legacy:' || requested_by"


# (table, column, backfill): every new text column starts NOT NULL with '' as its default
# (SQLite can add such a column without rebuilding the table, and rebuilding `runs` would
# cascade its events away), is filled, then loses the default where the dialect allows.
_COLUMNS = (
    ("runs", "requester_id", _LEGACY),
    ("approvals", "requester_id", _LEGACY),
    ("approvals", "requester_person", _LEGACY),
    ("reveals", "requester_id", _LEGACY),
    ("scheduled_runs", "requester_id", _LEGACY),
    ("api_tokens", "created_by_id", "'legacy:' || created_by"),
    ("api_tokens", "person", "'legacy:' || created_by"),
    ("web_sessions", "user_guid", "''"),
)


def upgrade() -> None:
    for table, column, backfill in _COLUMNS:
        op.add_column(
            table, sa.Column(column, sa.String(160), nullable=False, server_default="")
        )
        op.execute(f"UPDATE {table} SET {column} = {backfill}")  # noqa: S608
        if op.get_bind().dialect.name != "sqlite":
            op.alter_column(table, column, server_default=None)
    op.add_column("approvals", sa.Column("decided_by_id", sa.String(160), nullable=True))
    op.add_column(
        "api_tokens",
        sa.Column("bootstrap", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.drop_index("ix_runs_requested_by_created", "runs")
    op.create_index("ix_runs_requester_created", "runs", ["requester_id", "created_at"])
    _rename_live_duplicates()
    op.create_index(
        "uq_api_tokens_live_name",
        "api_tokens",
        ["name"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.execute(
        "UPDATE web_sessions SET ended_at = CURRENT_TIMESTAMP, end_reason = 'upgrade' "
        "WHERE ended_at IS NULL"
    )


def _rename_live_duplicates() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, name FROM api_tokens WHERE revoked_at IS NULL "
            "ORDER BY created_at DESC, id DESC"
        )
    ).all()
    seen: set[str] = set()
    for token_id, name in rows:
        if name in seen:
            connection.execute(
                sa.text("UPDATE api_tokens SET name = :name WHERE id = :id"),
                {"name": f"{name}-{token_id}"[:128], "id": token_id},
            )
        seen.add(name)


def downgrade() -> None:
    op.drop_index("uq_api_tokens_live_name", "api_tokens")
    op.drop_index("ix_runs_requester_created", "runs")
    op.create_index("ix_runs_requested_by_created", "runs", ["requested_by", "created_at"])
    for table, column in [(t, c) for t, c, _ in _COLUMNS] + [
        ("approvals", "decided_by_id"),
        ("api_tokens", "bootstrap"),
    ]:
        op.drop_column(table, column)
