"""Site jobs: sealed parameters of runs queued for a customer site's workers.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from runner_api.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_jobs",
        sa.Column(
            "run_id",
            sa.String(36),
            sa.ForeignKey("runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("sealed_params", sa.LargeBinary, nullable=False),
        sa.Column("approved_by", sa.String(128), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_site_jobs_published", "site_jobs", ["published_at"])


def downgrade() -> None:
    op.drop_index("ix_site_jobs_published", table_name="site_jobs")
    op.drop_table("site_jobs")
