"""Queued runs survive a crash: their parameters are kept sealed until they start.

`runs.sealed_job` holds, while a run is queued, what its Job needs to be built again by
another process (parameters with secrets in clear, who approved it), sealed with the
service key to "run:<id>:job"; it is wiped by the run's move to running or to an end.
Runs queued before this revision have none: a restart still ends them `interrupted`.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as table:
        table.add_column(sa.Column("sealed_job", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as table:
        table.drop_column("sealed_job")
