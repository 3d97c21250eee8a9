"""Webhook deliveries become a queue: acknowledged first, their run started afterwards.

A delivery row now carries its state (handling, accepted, started, handled, refused), the
reason of a refusal, and, while it waits to be started, what to start: the request with
secrets masked, and its parameters sealed with the service's secret key (wiped at start).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from runner_api.types import JSONType

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as table:
        table.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="handled")
        )
        table.add_column(sa.Column("reason", sa.Text, nullable=True))
        table.add_column(sa.Column("request", JSONType, nullable=True))
        table.add_column(sa.Column("sealed_params", sa.LargeBinary, nullable=True))
    deliveries = sa.table(
        "webhook_deliveries",
        sa.column("status", sa.String),
        sa.column("status_code", sa.Integer),
    )
    # Rows of 0008 had no state: an answer of 4xx was a refusal; no answer at all was a
    # claim whose process died mid-way (now taken over once stale, instead of a 409 forever).
    op.execute(deliveries.update().where(deliveries.c.status_code >= 400).values(status="refused"))
    op.execute(
        deliveries.update().where(deliveries.c.status_code.is_(None)).values(status="handling")
    )
    op.create_index("ix_webhook_deliveries_status", "webhook_deliveries", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_status", "webhook_deliveries")
    with op.batch_alter_table("webhook_deliveries") as table:
        table.drop_column("sealed_params")
        table.drop_column("request")
        table.drop_column("reason")
        table.drop_column("status")
