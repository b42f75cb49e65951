"""customer notes

Revision ID: 8be3e70126d5
Revises: 99ddfbb38f36
Create Date: 2026-11-24 21:29:43.157594
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "8be3e70126d5"
down_revision: str | None = "99ddfbb38f36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_note",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(length=400), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_customer_note_site_id_site"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_customer_note_staff_id_staff"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_note")),
    )
    with op.batch_alter_table("customer_note", schema=None) as batch_op:
        batch_op.create_index("ix_customer_note_site_customer", ["site_id", "customer_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_note", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_note_site_customer")

    op.drop_table("customer_note")
