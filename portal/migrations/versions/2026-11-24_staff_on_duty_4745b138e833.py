"""staff on duty

Revision ID: 4745b138e833
Revises: 8be3e70126d5
Create Date: 2026-11-24 21:32:13.122146
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4745b138e833"
down_revision: str | None = "8be3e70126d5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_duty", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("on_duty")
