"""mechanism (SPEC §6): track records, sanctions with appeals, controls; drop the seed's
forfeit_on_repeat_failure from stored specs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_tracks",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("track", sa.String(length=8), nullable=False),
        sa.Column("correct", sa.Double(), nullable=False),
        sa.Column("wrong", sa.Double(), nullable=False),
        sa.Column("controls", sa.Integer(), nullable=False),
        sa.Column("controls_failed", sa.Integer(), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.Column("decisions_failed", sa.Integer(), nullable=False),
        sa.Column("earned", sa.BigInteger(), nullable=False),
        sa.Column("pending", sa.BigInteger(), nullable=False),
        sa.Column("released", sa.BigInteger(), nullable=False),
        sa.Column("clawed_back", sa.BigInteger(), nullable=False),
        sa.Column("fined", sa.BigInteger(), nullable=False),
        sa.Column("cost_of_failures", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "track in ('write', 'vote', 'label', 'rate')",
            name=op.f("ck_worker_tracks_track_known"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_worker_tracks_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_worker_tracks_worker_id_users")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "worker_id", "track", name=op.f("pk_worker_tracks")),
    )
    op.create_index("ix_worker_tracks_worker", "worker_tracks", ["worker_id"], unique=False)
    op.create_table(
        "sanctions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("track", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("fine", sa.BigInteger(), nullable=False),
        sa.Column("clawed_back", sa.BigInteger(), nullable=False),
        sa.Column("appeal_status", sa.String(length=8), nullable=False),
        sa.Column("appeal_text", sa.Text(), nullable=True),
        sa.Column("appealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "appeal_status in ('none', 'open', 'upheld', 'denied')",
            name=op.f("ck_sanctions_appeal_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_sanctions_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_sanctions_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_sanctions_worker_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanctions")),
    )
    op.create_index(op.f("ix_sanctions_campaign_id"), "sanctions", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_sanctions_worker_id"), "sanctions", ["worker_id"], unique=False)
    with op.batch_alter_table("queries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("control", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("control_views", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.drop_constraint(batch_op.f("ck_queries_status_known"), type_="check")
        batch_op.create_check_constraint(
            "status_known",
            "status in ('validating', 'accepted', 'rejected', 'unvalidated', 'control')",
        )
    with op.batch_alter_table("label_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gold_source", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("control_views", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute("UPDATE label_items SET gold_source = 'spec' WHERE gold IS NOT NULL")
    _drop_forfeit_from_specs()


def _drop_forfeit_from_specs() -> None:
    """The seed's forfeit_on_repeat_failure is replaced by revocation with a fine (SPEC §6.4):
    stored specs lose the key, and their digest is recomputed."""
    bind = op.get_bind()
    campaigns = sa.table(
        "campaigns",
        sa.column("id", sa.Integer()),
        sa.column("spec", sa.JSON()),
        sa.column("spec_digest", sa.String()),
    )
    for row in bind.execute(sa.select(campaigns.c.id, campaigns.c.spec)).all():
        spec = row.spec if isinstance(row.spec, dict) else json.loads(row.spec or "{}")
        if "forfeit_on_repeat_failure" not in spec:
            continue
        spec = {k: v for k, v in spec.items() if k != "forfeit_on_repeat_failure"}
        canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"))
        bind.execute(
            campaigns.update()
            .where(campaigns.c.id == row.id)
            .values(spec=spec, spec_digest=hashlib.sha256(canonical.encode()).hexdigest())
        )


def downgrade() -> None:
    with op.batch_alter_table("label_items", schema=None) as batch_op:
        batch_op.drop_column("control_views")
        batch_op.drop_column("gold_source")
    with op.batch_alter_table("queries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_queries_status_known"), type_="check")
        batch_op.create_check_constraint(
            "status_known", "status in ('validating', 'accepted', 'rejected', 'unvalidated')"
        )
        batch_op.drop_column("control_views")
        batch_op.drop_column("control")
    op.drop_index(op.f("ix_sanctions_worker_id"), table_name="sanctions")
    op.drop_index(op.f("ix_sanctions_campaign_id"), table_name="sanctions")
    op.drop_table("sanctions")
    op.drop_index("ix_worker_tracks_worker", table_name="worker_tracks")
    op.drop_table("worker_tracks")
