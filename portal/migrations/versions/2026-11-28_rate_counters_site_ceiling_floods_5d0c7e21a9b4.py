"""rate counters shared by every server process, a per-site ceiling on reports and its floods

Revision ID: 5d0c7e21a9b4
Revises: 2f1c9a7d3e5b
Create Date: 2026-11-28 21:10:00
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "5d0c7e21a9b4"
down_revision: str | None = "2f1c9a7d3e5b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_counter",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("window_ends_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counter")),
    )
    with op.batch_alter_table("rate_counter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_counter_window_ends_at"), ["window_ends_at"], unique=False)

    op.create_table(
        "site_flood",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("started_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("last_refused_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_site_flood_site_id_site"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_site_flood")),
    )

    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_reports_per_minute", sa.Integer(), server_default="120", nullable=False))

    # Failed sign-ins are counted in rate_counter now.
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_email_created")
        batch_op.drop_index("ix_login_failure_client_created")
    op.drop_table("login_failure")


def downgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_client_created", ["client_hash", "created_at"], unique=False)
        batch_op.create_index("ix_login_failure_email_created", ["email", "created_at"], unique=False)

    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("max_reports_per_minute")

    op.drop_table("site_flood")
    with op.batch_alter_table("rate_counter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_counter_window_ends_at"))
    op.drop_table("rate_counter")
