"""queries keep their template and their answer signals (#15, SPEC §6.7)

``template`` is the query delexicalised (each slot value replaced by its slot name), the form
in which copies are judged; ``answer_flags`` names what the answer-quality model saw
(``pasted``, ``too_fast``, ``machine_rhythm``) and ``answer_quality`` is its probability that
the answer is a person's own work; ``typing`` keeps the key-interval summary the page sent.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queries") as batch:
        batch.add_column(sa.Column("template", sa.Text(), nullable=True))
        batch.add_column(sa.Column("answer_flags", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("answer_quality", sa.Double(), nullable=True))
        batch.add_column(sa.Column("typing", sa.JSON(), nullable=True))
    op.create_index("ix_queries_campaign_template", "queries", ["campaign_id", "template"])


def downgrade() -> None:
    op.drop_index("ix_queries_campaign_template", table_name="queries")
    with op.batch_alter_table("queries") as batch:
        batch.drop_column("typing")
        batch.drop_column("answer_quality")
        batch.drop_column("answer_flags")
        batch.drop_column("template")
