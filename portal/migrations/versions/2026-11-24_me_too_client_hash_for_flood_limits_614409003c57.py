"""me too: client hash for flood limits

Revision ID: 614409003c57
Revises: e1b1419b5820
Create Date: 2026-11-24 22:59:15.486231
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "614409003c57"
down_revision: str | None = "e1b1419b5820"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("me_too", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_me_too_client_hash"), ["client_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("me_too", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_me_too_client_hash"))
        batch_op.drop_column("client_hash")
