"""apology templates

Revision ID: b80478f0c6ab
Revises: 4745b138e833
Create Date: 2026-11-24 21:37:13.414885
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "b80478f0c6ab"
down_revision: str | None = "4745b138e833"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "apology_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_apology_template_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apology_template")),
    )
    with op.batch_alter_table("apology_template", schema=None) as batch_op:
        batch_op.create_index("ix_apology_template_site_category", ["site_id", "category"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("apology_template", schema=None) as batch_op:
        batch_op.drop_index("ix_apology_template_site_category")

    op.drop_table("apology_template")
