"""recovery clocks: targets per site, due times, alerts and breaches

Revision ID: 6b6e4d4629aa
Revises: ac5e92d38792
Create Date: 2026-11-24 21:15:12.524410
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "6b6e4d4629aa"
down_revision: str | None = "ac5e92d38792"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "first_response_due_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("recovery_due_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("first_response_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("recovered_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("first_response_warned", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("recovery_warned", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(
            sa.Column("first_response_breached", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("recovery_breached", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_report_first_response_due_at"), ["first_response_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_recovery_due_at"), ["recovery_due_at"], unique=False)

    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_response_minutes", sa.Integer(), server_default="20", nullable=False))
        batch_op.add_column(sa.Column("recovery_hours", sa.Integer(), server_default="24", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("recovery_hours")
        batch_op.drop_column("first_response_minutes")

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_recovery_due_at"))
        batch_op.drop_index(batch_op.f("ix_report_first_response_due_at"))
        batch_op.drop_column("recovery_breached")
        batch_op.drop_column("first_response_breached")
        batch_op.drop_column("recovery_warned")
        batch_op.drop_column("first_response_warned")
        batch_op.drop_column("recovered_at")
        batch_op.drop_column("first_response_at")
        batch_op.drop_column("recovery_due_at")
        batch_op.drop_column("first_response_due_at")
