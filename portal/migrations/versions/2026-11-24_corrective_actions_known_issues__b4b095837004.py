"""corrective actions, known issues, unsubscribes

Revision ID: b4b095837004
Revises: 380dd7db9334
Create Date: 2026-11-24 22:13:53.542492
"""

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "b4b095837004"
down_revision: str | None = "380dd7db9334"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "corrective_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("within_control", sa.Boolean(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("containment", sa.Text(), nullable=False),
        sa.Column("whys", sa.JSON(), nullable=False),
        sa.Column("corrective_action", sa.Text(), nullable=False),
        sa.Column("preventive_action", sa.Text(), nullable=False),
        sa.Column("verification_days", sa.Integer(), server_default="14", nullable=False),
        sa.Column("verification_started_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("verification_ends_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("verified_through", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("closure_summary", sa.Text(), nullable=False),
        sa.Column("closed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("public_wording", sa.Text(), nullable=False),
        sa.Column("page_pattern", sa.String(length=300), nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["staff.id"], name=op.f("fk_corrective_action_owner_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["staff.id"],
            name=op.f("fk_corrective_action_proposed_by_id_staff"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_corrective_action_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_action")),
    )
    with op.batch_alter_table("corrective_action", schema=None) as batch_op:
        batch_op.create_index("ix_corrective_action_site_state", ["site_id", "state"], unique=False)

    op.create_table(
        "unsubscribe",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_unsubscribe_site_id_site"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unsubscribe")),
        sa.UniqueConstraint("site_id", "email", name="uq_unsubscribe_site_email"),
    )
    op.create_table(
        "me_too",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ca_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["ca_id"], ["corrective_action.id"], name=op.f("fk_me_too_ca_id_corrective_action"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_me_too")),
        sa.UniqueConstraint("ca_id", "email", name="uq_me_too_ca_email"),
    )
    op.create_table(
        "ca_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ca_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["ca_id"], ["corrective_action.id"], name=op.f("fk_ca_event_ca_id_corrective_action"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_ca_event_report_id_report"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_ca_event_staff_id_staff"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ca_event")),
    )
    with op.batch_alter_table("ca_event", schema=None) as batch_op:
        batch_op.create_index("ix_ca_event_ca", ["ca_id", "id"], unique=False)

    op.create_table(
        "ca_suggestion",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ca_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["ca_id"],
            ["corrective_action.id"],
            name=op.f("fk_ca_suggestion_ca_id_corrective_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_ca_suggestion_report_id_report"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_ca_suggestion_staff_id_staff"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ca_suggestion")),
    )
    with op.batch_alter_table("ca_suggestion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ca_suggestion_ca_id"), ["ca_id"], unique=False)

    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unsubscribe_url", sa.Text(), nullable=True))

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ca_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_report_ca_id"), ["ca_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_report_ca_id_corrective_action"), "corrective_action", ["ca_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_report_ca_id_corrective_action"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_report_ca_id"))
        batch_op.drop_column("ca_id")

    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.drop_column("unsubscribe_url")

    with op.batch_alter_table("ca_suggestion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ca_suggestion_ca_id"))

    op.drop_table("ca_suggestion")
    with op.batch_alter_table("ca_event", schema=None) as batch_op:
        batch_op.drop_index("ix_ca_event_ca")

    op.drop_table("ca_event")
    op.drop_table("me_too")
    op.drop_table("unsubscribe")
    with op.batch_alter_table("corrective_action", schema=None) as batch_op:
        batch_op.drop_index("ix_corrective_action_site_state")

    op.drop_table("corrective_action")
