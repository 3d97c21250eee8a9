"""Rate limits: an admin's clear of a limit is kept, so every process counts after it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from runner_api.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_clears",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("customer", sa.String(64), nullable=True),
        sa.Column("target", sa.String(255), nullable=True),
        sa.Column("requester", sa.String(160), nullable=True),
        sa.Column("action", sa.String(64), nullable=True),
        sa.Column("cleared_by", sa.String(128), nullable=False),
        sa.Column("cleared_at", UTCDateTime, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_rate_limit_clears_cleared_at", "rate_limit_clears", ["cleared_at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_clears_cleared_at", table_name="rate_limit_clears")
    op.drop_table("rate_limit_clears")
