"""repeat microfailures: customer key, repeat level, window per site

Revision ID: 86b31430727b
Revises: 6f40d5ce1580
Create Date: 2026-11-24 20:56:49.333021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "86b31430727b"
down_revision: str | None = "6f40d5ce1580"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_key", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("repeat_level", sa.SmallInteger(), server_default="1", nullable=False))
        batch_op.create_index(
            "ix_report_site_customer_created", ["site_id", "customer_key", "created_at"], unique=False
        )

    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("repeat_window_days", sa.Integer(), server_default="90", nullable=False))

    # Reports made before this migration count towards their customer's level too.
    op.execute(
        "UPDATE report SET customer_key = 'id:' || customer_external_id WHERE identity_verified AND customer_external_id IS NOT NULL"
    )
    op.execute(
        "UPDATE report SET customer_key = 'email:' || lower(customer_email) WHERE customer_key IS NULL AND customer_email IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("repeat_window_days")

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index("ix_report_site_customer_created")
        batch_op.drop_column("repeat_level")
        batch_op.drop_column("customer_key")
