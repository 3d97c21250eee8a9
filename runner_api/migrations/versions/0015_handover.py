"""The hand-over of a one-time secret: files, and a window that starts when the requester
is told.

`reveals.filename`: set when the secret is a file (a VPN profile) that is only ever
downloaded, never shown. `reveals.told_at`: when the requester was told the secret is ready;
a held run's secret waits for it (its `expires_at` then is the longest wait), and its
hand-over window starts then. Reveals before this revision were told at their creation.
`web_sessions.mail`: the agent's mail address as the directory had it at login, where the
notice of a decision on their held run goes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from runner_api.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reveals") as table:
        table.add_column(sa.Column("filename", sa.String(128), nullable=True))
        table.add_column(sa.Column("told_at", UTCDateTime, nullable=True))
    op.execute("UPDATE reveals SET told_at = created_at")
    with op.batch_alter_table("web_sessions") as table:
        table.add_column(sa.Column("mail", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_sessions") as table:
        table.drop_column("mail")
    with op.batch_alter_table("reveals") as table:
        table.drop_column("told_at")
        table.drop_column("filename")
