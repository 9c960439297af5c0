"""review packages

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("reward", sa.BigInteger(), nullable=False),
        sa.Column("deposit", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Double(), nullable=True),
        sa.Column("reference_pairs", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status in ('open', 'submitted', 'passed', 'forfeited')",
            name=op.f("ck_review_packages_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_review_packages_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_review_packages_worker_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_packages")),
    )
    with op.batch_alter_table("review_packages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_packages_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_packages_worker_id"), ["worker_id"], unique=False
        )

    with op.batch_alter_table("judgments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("package_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_judgments_package_id"), ["package_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_judgments_package_id_review_packages"),
            "review_packages",
            ["package_id"],
            ["id"],
        )

    with op.batch_alter_table("label_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target", sa.Text(), nullable=True))

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("package_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_offers_package_id_review_packages"),
            "review_packages",
            ["package_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_offers_package_id_review_packages"), type_="foreignkey"
        )
        batch_op.drop_column("package_id")

    with op.batch_alter_table("label_items", schema=None) as batch_op:
        batch_op.drop_column("target")

    with op.batch_alter_table("judgments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_judgments_package_id_review_packages"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_judgments_package_id"))
        batch_op.drop_column("package_id")

    with op.batch_alter_table("review_packages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_packages_worker_id"))
        batch_op.drop_index(batch_op.f("ix_review_packages_campaign_id"))

    op.drop_table("review_packages")
