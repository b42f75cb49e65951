"""trends: page path, monthly results

Revision ID: 54a2ba612d1c
Revises: b4b095837004
Create Date: 2026-11-24 22:25:02.556897
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

from portal.domain.similarity import page_path

revision: str = "54a2ba612d1c"
down_revision: str | None = "b4b095837004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("share_token_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_monthly_result_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_result")),
        sa.UniqueConstraint("share_token_hash", name=op.f("uq_monthly_result_share_token_hash")),
        sa.UniqueConstraint("site_id", "month", name="uq_monthly_result_site_month"),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_path", sa.String(length=300), nullable=True))

    # Fold the pages of existing reports, in batches so a large table never sits in memory.
    report = sa.table(
        "report", sa.column("id", sa.Integer), sa.column("page_url", sa.Text), sa.column("page_path", sa.String)
    )
    bind, last = op.get_bind(), 0
    while rows := bind.execute(
        sa.select(report.c.id, report.c.page_url)
        .where(report.c.id > last, report.c.page_url.is_not(None))
        .order_by(report.c.id)
        .limit(5000)
    ).all():
        for row in rows:
            bind.execute(report.update().where(report.c.id == row.id).values(page_path=page_path(row.page_url)[:300]))
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("page_path")

    op.drop_table("monthly_result")
