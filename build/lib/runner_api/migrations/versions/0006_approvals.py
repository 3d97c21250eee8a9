"""Approvals of high-risk runs and rate-limit hits.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from runner_api.types import JSONType, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # "awaiting_approval" is longer than the 16 characters statuses had; SQLite does not
    # enforce the length (and would rebuild the table to change it).
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("runs", "status", type_=sa.String(32), existing_type=sa.String(16))
    op.create_table(
        "approvals",
        sa.Column(
            "run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("customer", sa.String(64), nullable=False),
        sa.Column("reasons", JSONType, nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("sealed_params", sa.LargeBinary, nullable=True),
    )
    op.create_index("ix_approvals_status_expires", "approvals", ["status", "expires_at"])
    # Rate limits count a requester's and a target's recent runs.
    op.create_index("ix_runs_requested_by_created", "runs", ["requested_by", "created_at"])
    op.create_index("ix_runs_target_created", "runs", ["customer", "target", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_runs_target_created", "runs")
    op.drop_index("ix_runs_requested_by_created", "runs")
    op.drop_index("ix_approvals_status_expires", "approvals")
    op.drop_table("approvals")
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("runs", "status", type_=sa.String(16), existing_type=sa.String(32))
