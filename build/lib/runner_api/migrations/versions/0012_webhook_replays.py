"""Webhook replays: one delivery per (source, timestamp, body), whatever its Idempotency-Key.

A delivery row now keeps the signed timestamp (unique with source and body, so the same
signed bytes sent again under a fresh key are refused in every process) and the signature
scheme it came with (v2, or the legacy v1 a source may still accept). Rows from before keep
NULL in both: NULLs never collide.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as table:
        table.add_column(sa.Column("sent_at", sa.BigInteger, nullable=True))
        table.add_column(sa.Column("scheme", sa.String(8), nullable=True))
        table.create_unique_constraint(
            "uq_webhook_deliveries_sent", ["source", "sent_at", "body_sha256"]
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as table:
        table.drop_constraint("uq_webhook_deliveries_sent", type_="unique")
        table.drop_column("scheme")
        table.drop_column("sent_at")
