"""queue: assignee and the next clock due

Revision ID: 15a6fb927454
Revises: 6b6e4d4629aa
Create Date: 2026-11-24 21:22:02.498674
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "15a6fb927454"
down_revision: str | None = "6b6e4d4629aa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_due_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_report_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_report_assignee_id_staff"), "staff", ["assignee_id"], ["id"], ondelete="SET NULL"
        )

    # The clock still running on each existing report; "no clock" sorts after every real date.
    no_clock = "'9999-12-31 00:00:00.000000'" if op.get_bind().dialect.name == "sqlite" else "'9999-12-31 00:00:00+00'"
    op.execute(
        "UPDATE report SET next_due_at = CASE"
        f" WHEN recovered_at IS NOT NULL OR first_response_due_at IS NULL THEN {no_clock}"
        " WHEN first_response_at IS NULL THEN first_response_due_at ELSE recovery_due_at END"
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.alter_column(
            "next_due_at", existing_type=advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        )
    op.create_index("ix_report_queue_order", "report", [sa.text("priority DESC"), "next_due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_report_queue_order", table_name="report")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_report_assignee_id_staff"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_report_assignee_id"))
        batch_op.drop_column("assignee_id")
        batch_op.drop_column("next_due_at")
