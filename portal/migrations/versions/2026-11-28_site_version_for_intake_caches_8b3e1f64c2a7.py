"""site.version, bumped on every change to a site, its gestures or templates: intake caches check it

Revision ID: 8b3e1f64c2a7
Revises: 4dc332ad5003
Create Date: 2026-11-28 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b3e1f64c2a7"
down_revision: str | None = "4dc332ad5003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("site") as batch_op:
        batch_op.drop_column("version")
