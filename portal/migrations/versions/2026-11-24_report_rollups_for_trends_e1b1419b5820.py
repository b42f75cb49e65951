"""report rollups for trends

Revision ID: e1b1419b5820
Revises: 54a2ba612d1c
Create Date: 2026-11-24 22:35:16.820689
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "e1b1419b5820"
down_revision: str | None = "54a2ba612d1c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rolled_until", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_state")),
    )
    op.create_table(
        "report_rollup",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_report_rollup_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", "day", "dim", "value", name=op.f("pk_report_rollup")),
    )


def downgrade() -> None:
    op.drop_table("report_rollup")
    op.drop_table("rollup_state")
