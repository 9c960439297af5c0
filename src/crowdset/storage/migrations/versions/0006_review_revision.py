"""review revision

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("label_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_target", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("revisions", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.drop_constraint(batch_op.f("ck_label_items_status_known"), type_="check")
        batch_op.create_check_constraint(
            "status_known", "status in ('open', 'settled', 'revision')"
        )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_offers_kind_known"), type_="check")
        batch_op.create_check_constraint(
            "kind_known", "kind in ('write', 'vote', 'label', 'revise')"
        )


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_offers_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", "kind in ('write', 'vote', 'label')")
    with op.batch_alter_table("label_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_label_items_status_known"), type_="check")
        batch_op.create_check_constraint("status_known", "status in ('open', 'settled')")
        batch_op.drop_column("revisions")
        batch_op.drop_column("original_target")
