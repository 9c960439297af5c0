"""bounty pay held until a first run, onboarding time measured and paid (#15, SPEC §6.6)

``worker_tracks.release_after`` holds a track's pending pay until that many units of accepted
work (0: nothing held); ``campaign_workers`` keeps the seconds a worker spent on a campaign's
tutorial and qualifier, when their last onboarding step was answered (the server's measure
when the page sends none) and what the campaign paid for that time.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("worker_tracks") as batch:
        batch.add_column(
            sa.Column("release_after", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("campaign_workers") as batch:
        batch.add_column(
            sa.Column("onboarding_seconds", sa.Double(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("onboarding_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("onboarding_paid", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_workers") as batch:
        batch.drop_column("onboarding_paid")
        batch.drop_column("onboarding_at")
        batch.drop_column("onboarding_seconds")
    with op.batch_alter_table("worker_tracks") as batch:
        batch.drop_column("release_after")
