"""The tamper-evident audit log: append-only records, the one-row head, signed checkpoints.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Append-only at the database layer: UPDATE and DELETE on audit_records and audit_checkpoints
abort (SQLite: BEFORE triggers with RAISE(ABORT); PostgreSQL: a row trigger that raises, plus
a statement-level BEFORE TRUNCATE trigger, since row triggers do not see TRUNCATE). The head
row may be updated (it is the writers' lock) but never deleted.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_APPEND_ONLY = ("audit_records", "audit_checkpoints")

_PG_FUNCTION = """
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'fixline: % on % refused: the audit log is append-only',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_records",
        # On SQLite an INTEGER PRIMARY KEY is the rowid: records lie in seq order on disk.
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("ts", sa.String(27), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("customer", sa.Text, nullable=True),
        sa.Column("ticket_id", sa.Text, nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("action", sa.Text, nullable=True),
        sa.Column("target", sa.Text, nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_records_ticket", "audit_records", ["ticket_id", "seq"])
    op.create_index("ix_audit_records_run", "audit_records", ["run_id"])
    op.create_index("ix_audit_records_customer_ts", "audit_records", ["customer", "ts"])
    op.create_index("ix_audit_records_actor_ts", "audit_records", ["actor", "ts"])
    op.create_index("ix_audit_records_type_ts", "audit_records", ["type", "ts"])
    op.create_index("ix_audit_records_ts", "audit_records", ["ts"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("checkpoint_seq", sa.BigInteger, nullable=False),
        sa.Column("checkpoint_ts", sa.String(27), nullable=False),
    )
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    op.bulk_insert(
        head, [{"id": 1, "seq": 0, "hash": GENESIS, "checkpoint_seq": 0, "checkpoint_ts": now}]
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(27), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    op.create_index("ix_audit_checkpoints_seq", "audit_checkpoints", ["seq"])
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for table in _APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'fixline: {verb} on {table} refused: "
                "the audit log is append-only'); END"
            )
    op.execute(
        "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'fixline: the audit head cannot be deleted'); END"
    )


def _postgres_triggers() -> None:
    op.execute(_PG_FUNCTION)
    for table in _APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
    for table in (*_APPEND_ONLY, "audit_head"):
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )
    op.execute(
        "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    )


def downgrade() -> None:
    for table in ("audit_checkpoints", "audit_head", "audit_records"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_append_only()")
