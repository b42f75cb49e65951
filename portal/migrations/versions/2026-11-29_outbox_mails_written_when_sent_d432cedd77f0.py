"""outbox mails written when sent: intake queues apologies for the worker to write from their report

Revision ID: d432cedd77f0
Revises: d4dd52636dd2
Create Date: 2026-11-29 04:15:16.582323
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d432cedd77f0"
down_revision: str | None = "d4dd52636dd2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("write_as", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.drop_column("write_as")
