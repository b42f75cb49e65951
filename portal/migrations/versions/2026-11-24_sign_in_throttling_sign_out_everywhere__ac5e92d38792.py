"""sign-in throttling, sign out everywhere, queue priority

Revision ID: ac5e92d38792
Revises: b7dea85915b9
Create Date: 2026-11-24 21:02:00.304989
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "ac5e92d38792"
down_revision: str | None = "b7dea85915b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.SmallInteger(), server_default="0", nullable=False))

    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))

    # Customers already at risk and not yet recovered go to the top of the queue.
    op.execute(
        "UPDATE report SET priority = CASE WHEN repeat_level >= 4 THEN 2 WHEN repeat_level = 3 THEN 1 ELSE 0 END"
        " WHERE state NOT IN ('fixed', 'closed')"
    )


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("priority")

    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_email_created")
        batch_op.drop_index("ix_login_failure_client_created")

    op.drop_table("login_failure")
