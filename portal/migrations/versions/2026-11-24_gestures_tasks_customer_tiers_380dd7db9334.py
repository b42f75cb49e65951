"""gestures, tasks, customer tiers

Revision ID: 380dd7db9334
Revises: b80478f0c6ab
Create Date: 2026-11-24 21:59:39.882164
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

from portal.domain.default_gestures import DEFAULT_CATALOG

revision: str = "380dd7db9334"
down_revision: str | None = "b80478f0c6ab"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(length=400), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["staff.id"], name=op.f("fk_customer_profile_set_by_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_customer_profile_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_profile")),
        sa.UniqueConstraint("site_id", "customer_key", name="uq_customer_profile_site_customer"),
    )
    op.create_table(
        "gesture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("daily_cap", sa.Integer(), nullable=True),
        sa.Column("monthly_cap", sa.Integer(), nullable=True),
        sa.Column("fulfilment", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_gesture_site_id_site"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gesture")),
    )
    with op.batch_alter_table("gesture", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gesture_site_id"), ["site_id"], unique=False)

    op.create_table(
        "gesture_grant",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_choice_for", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("choice", sa.String(length=10), nullable=False),
        sa.Column("gesture_id", sa.Integer(), nullable=True),
        sa.Column("gesture_name", sa.String(length=120), nullable=True),
        sa.Column("tier", sa.SmallInteger(), nullable=True),
        sa.Column("wish", sa.Text(), nullable=True),
        sa.Column("code", sa.String(length=200), nullable=True),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["gesture_id"], ["gesture.id"], name=op.f("fk_gesture_grant_gesture_id_gesture"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["staff.id"], name=op.f("fk_gesture_grant_granted_by_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_gesture_grant_report_id_report"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_gesture_grant_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gesture_grant")),
        sa.UniqueConstraint("customer_choice_for", name=op.f("uq_gesture_grant_customer_choice_for")),
    )
    with op.batch_alter_table("gesture_grant", schema=None) as batch_op:
        batch_op.create_index("ix_gesture_grant_gesture_created", ["gesture_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_gesture_grant_report_id"), ["report_id"], unique=False)
        batch_op.create_index("ix_gesture_grant_staff_created", ["granted_by_id", "created_at"], unique=False)

    op.create_table(
        "gesture_code",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("gesture_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("grant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["gesture_id"], ["gesture.id"], name=op.f("fk_gesture_code_gesture_id_gesture"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["gesture_grant.id"], name=op.f("fk_gesture_code_grant_id_gesture_grant"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gesture_code")),
        sa.UniqueConstraint("gesture_id", "code", name="uq_gesture_code_gesture_code"),
    )
    with op.batch_alter_table("gesture_code", schema=None) as batch_op:
        batch_op.create_index("ix_gesture_code_free", ["gesture_id", "grant_id"], unique=False)

    op.create_table(
        "task",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("due_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("done_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["staff.id"], name=op.f("fk_task_assignee_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["staff.id"], name=op.f("fk_task_done_by_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["gesture_grant.id"], name=op.f("fk_task_grant_id_gesture_grant"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_task_report_id_report"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_task_site_id_site"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_report_id"), ["report_id"], unique=False)
        batch_op.create_index("ix_task_site_open_due", ["site_id", "done_at", "due_at"], unique=False)

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_tier", sa.SmallInteger(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("offered_gesture_ids", sa.JSON(), nullable=True))

    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_hours", sa.Integer(), server_default="4", nullable=False))
        batch_op.add_column(sa.Column("gesture_budgets", sa.JSON(), nullable=True))

    # Existing sites start with the default catalog, as new ones do.
    site = sa.table("site", sa.column("id", sa.Integer))
    gesture = sa.table(
        "gesture",
        sa.column("site_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("tier", sa.SmallInteger),
        sa.column("categories", sa.JSON),
        sa.column("fulfilment", sa.String),
        sa.column("position", sa.Integer),
    )
    site_ids = [row.id for row in op.get_bind().execute(sa.select(site.c.id))]
    rows = [
        {
            "site_id": site_id,
            "name": g.name,
            "description": g.description,
            "tier": int(g.tier),
            "categories": list(g.categories),
            "fulfilment": g.fulfilment,
            "position": position,
        }
        for site_id in site_ids
        for position, g in enumerate(DEFAULT_CATALOG)
    ]
    if rows:
        op.bulk_insert(gesture, rows)


def downgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("gesture_budgets")
        batch_op.drop_column("follow_up_hours")

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("offered_gesture_ids")
        batch_op.drop_column("customer_tier")

    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_site_open_due")
        batch_op.drop_index(batch_op.f("ix_task_report_id"))
        batch_op.drop_index(batch_op.f("ix_task_assignee_id"))

    op.drop_table("task")
    with op.batch_alter_table("gesture_code", schema=None) as batch_op:
        batch_op.drop_index("ix_gesture_code_free")

    op.drop_table("gesture_code")
    with op.batch_alter_table("gesture_grant", schema=None) as batch_op:
        batch_op.drop_index("ix_gesture_grant_staff_created")
        batch_op.drop_index(batch_op.f("ix_gesture_grant_report_id"))
        batch_op.drop_index("ix_gesture_grant_gesture_created")

    op.drop_table("gesture_grant")
    with op.batch_alter_table("gesture", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gesture_site_id"))

    op.drop_table("gesture")
    op.drop_table("customer_profile")
