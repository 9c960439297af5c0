"""labeling campaigns

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "label_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("gold", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("judgments", sa.Integer(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("audit", sa.Boolean(), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status in ('open', 'settled')", name=op.f("ck_label_items_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_label_items_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_items")),
    )
    with op.batch_alter_table("label_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_label_items_campaign_status", ["campaign_id", "status"], unique=False
        )
        batch_op.create_index(
            "uq_label_items_campaign_external", ["campaign_id", "external_id"], unique=True
        )

    op.create_table(
        "judgments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("gold", sa.Boolean(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("pilot", sa.Boolean(), nullable=False),
        sa.Column("seconds_on_task", sa.Double(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_judgments_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["label_items.id"], name=op.f("fk_judgments_item_id_label_items")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_judgments_worker_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgments")),
    )
    with op.batch_alter_table("judgments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_judgments_campaign_worker", ["campaign_id", "worker_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_judgments_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_judgments_worker_id"), ["worker_id"], unique=False)
        batch_op.create_index("uq_judgments_item_worker", ["item_id", "worker_id"], unique=True)

    with op.batch_alter_table("campaign_workers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tutorial_done", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("tutorial_answered", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("qualifier_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("qualifier_score", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("qualified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("quality_correct", sa.Double(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("quality_wrong", sa.Double(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("answers", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("gold_answers", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("gold_correct", sa.Integer(), nullable=False, server_default="0")
        )

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_offers_item_id_label_items"), "label_items", ["item_id"], ["id"]
        )
        batch_op.drop_constraint(batch_op.f("ck_offers_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", "kind in ('write', 'vote', 'label')")


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_offers_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", "kind in ('write', 'vote')")
        batch_op.drop_constraint(batch_op.f("fk_offers_item_id_label_items"), type_="foreignkey")
        batch_op.drop_column("item_id")

    with op.batch_alter_table("campaign_workers", schema=None) as batch_op:
        batch_op.drop_column("gold_correct")
        batch_op.drop_column("gold_answers")
        batch_op.drop_column("answers")
        batch_op.drop_column("quality_wrong")
        batch_op.drop_column("quality_correct")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("qualified")
        batch_op.drop_column("qualifier_score")
        batch_op.drop_column("qualifier_attempts")
        batch_op.drop_column("tutorial_answered")
        batch_op.drop_column("tutorial_done")

    with op.batch_alter_table("judgments", schema=None) as batch_op:
        batch_op.drop_index("uq_judgments_item_worker")
        batch_op.drop_index(batch_op.f("ix_judgments_worker_id"))
        batch_op.drop_index(batch_op.f("ix_judgments_item_id"))
        batch_op.drop_index("ix_judgments_campaign_worker")

    op.drop_table("judgments")
    with op.batch_alter_table("label_items", schema=None) as batch_op:
        batch_op.drop_index("uq_label_items_campaign_external")
        batch_op.drop_index("ix_label_items_campaign_status")

    op.drop_table("label_items")
