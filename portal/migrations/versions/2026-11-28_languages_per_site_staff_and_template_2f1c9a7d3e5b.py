"""languages: per site (enabled, default, translations of its texts), staff member, template and me-too

Revision ID: 2f1c9a7d3e5b
Revises: 614409003c57
Create Date: 2026-11-28 19:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2f1c9a7d3e5b"
down_revision: str | None = "614409003c57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # JSON columns get their value for existing rows from a server default that is dropped again:
    # new rows take theirs from the model, and PostgreSQL cannot compare JSON defaults.
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("languages", sa.JSON(), server_default='["en"]', nullable=False))
        batch_op.add_column(sa.Column("default_language", sa.String(length=10), server_default="en", nullable=False))
        batch_op.add_column(sa.Column("translations", sa.JSON(), server_default="{}", nullable=False))
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), nullable=True))
    for table in ("apology_template", "me_too"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("lang", sa.String(length=10), server_default="en", nullable=False))
    for table in ("gesture", "corrective_action"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("translations", sa.JSON(), server_default="{}", nullable=False))
    for table, column in (
        ("site", "languages"),
        ("site", "translations"),
        ("gesture", "translations"),
        ("corrective_action", "translations"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    for table in ("gesture", "corrective_action"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("translations")
    for table in ("apology_template", "me_too"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("lang")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("translations")
        batch_op.drop_column("default_language")
        batch_op.drop_column("languages")
