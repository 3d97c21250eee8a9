"""The run spine: runs, run_events, target_locks.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from runner_api.types import JSONType, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("params", JSONType, nullable=False),
        sa.Column("check_mode", sa.Boolean, nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("changed", sa.Boolean, nullable=True),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("diff", JSONType, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("details", JSONType, nullable=False),
        sa.Column("versions", JSONType, nullable=False),
        sa.Column("timeout_s", sa.Integer, nullable=False),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("worker", sa.String(128), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=True),
        sa.Column("finished_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_runs_ticket_id", "runs", ["ticket_id"])
    op.create_index("ix_runs_customer_created", "runs", ["customer", "created_at"])
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_action_created", "runs", ["action", "created_at"])
    op.create_index("ix_runs_created", "runs", ["created_at"])
    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("task", sa.String(255), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.UniqueConstraint("run_id", "seq", name="uq_run_events_run_seq"),
    )
    op.create_table(
        "target_locks",
        sa.Column("target", sa.String(330), primary_key=True),
        sa.Column(
            "run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("acquired_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("target_locks")
    op.drop_table("run_events")
    op.drop_table("runs")
