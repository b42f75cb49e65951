"""rate counters remember when their window started, so one statement counts many keys

Revision ID: 3eb8c627a54f
Revises: d432cedd77f0
Create Date: 2026-11-29 06:12:23
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "3eb8c627a54f"
down_revision: str | None = "d432cedd77f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rate_counter", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("window_started_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True)
        )
    # Nothing reads a stored start (the upsert compares the new hit's): any time will do for rows already there.
    op.execute("UPDATE rate_counter SET window_started_at = window_ends_at")
    with op.batch_alter_table("rate_counter", schema=None) as batch_op:
        batch_op.alter_column(
            "window_started_at",
            existing_type=advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("rate_counter", schema=None) as batch_op:
        batch_op.drop_column("window_started_at")
