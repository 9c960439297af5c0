"""parallel corpora

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corpora",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source_lang", sa.String(length=16), nullable=True),
        sa.Column("target_lang", sa.String(length=16), nullable=True),
        sa.Column("origin", sa.String(length=500), nullable=False),
        sa.Column("pairs", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_corpora_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corpora")),
    )
    with op.batch_alter_table("corpora", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_corpora_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "corpus_pairs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("corpus_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["corpus_id"], ["corpora.id"], name=op.f("fk_corpus_pairs_corpus_id_corpora")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corpus_pairs")),
    )
    with op.batch_alter_table("corpus_pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_corpus_pairs_corpus_id"), ["corpus_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("corpus_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corpus_pairs_corpus_id"))

    op.drop_table("corpus_pairs")
    with op.batch_alter_table("corpora", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corpora_owner_id"))

    op.drop_table("corpora")
