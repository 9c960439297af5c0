"""generation campaigns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("spec_digest", sa.String(length=64), nullable=False),
        sa.Column("escrow_funded", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status in ('draft', 'pilot', 'running', 'paused', 'closed')",
            name=op.f("ck_campaigns_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_campaigns_requester_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaigns_requester_id"), ["requester_id"], unique=False
        )

    op.create_table(
        "worker_standing",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("generation_locked", sa.Boolean(), nullable=False),
        sa.Column("generation_streak", sa.Integer(), nullable=False),
        sa.Column("validation_locked", sa.Boolean(), nullable=False),
        sa.Column("validation_streak", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_worker_standing_worker_id_users")
        ),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_standing")),
    )
    op.create_table(
        "campaign_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_campaign_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_events_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_events")),
    )
    with op.batch_alter_table("campaign_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_events_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "campaign_workers",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blacklisted", sa.Boolean(), nullable=False),
        sa.Column("successes", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_workers_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_campaign_workers_worker_id_users")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "worker_id", name=op.f("pk_campaign_workers")),
    )
    op.create_table(
        "generation_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(length=80), nullable=False),
        sa.Column("slot_values", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status in ('open', 'done')", name=op.f("ck_generation_tasks_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_generation_tasks_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation_tasks")),
    )
    with op.batch_alter_table("generation_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_generation_tasks_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            "ix_generation_tasks_campaign_status", ["campaign_id", "status"], unique=False
        )

    op.create_table(
        "queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("slot_values", sa.JSON(), nullable=False),
        sa.Column("spans", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seconds_on_task", sa.Double(), nullable=True),
        sa.Column("paste_events", sa.Integer(), nullable=False),
        sa.Column("flagged_intent", sa.String(length=80), nullable=True),
        sa.Column("flag_probability", sa.Double(), nullable=True),
        sa.CheckConstraint(
            "status in ('validating', 'accepted', 'rejected', 'unvalidated')",
            name=op.f("ck_queries_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_queries_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["generation_tasks.id"], name=op.f("fk_queries_task_id_generation_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_queries_worker_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queries")),
    )
    with op.batch_alter_table("queries", schema=None) as batch_op:
        batch_op.create_index("ix_queries_campaign_status", ["campaign_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_queries_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_queries_worker_id"), ["worker_id"], unique=False)

    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("query_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("refusals", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind in ('write', 'vote')", name=op.f("ck_offers_kind_known")),
        sa.CheckConstraint(
            "status in ('open', 'accepted', 'done', 'skipped', 'expired', 'withdrawn')",
            name=op.f("ck_offers_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_offers_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["query_id"], ["queries.id"], name=op.f("fk_offers_query_id_queries")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["generation_tasks.id"], name=op.f("fk_offers_task_id_generation_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_offers_worker_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index("ix_offers_campaign_status", ["campaign_id", "status"], unique=False)
        batch_op.create_index("ix_offers_worker_status", ["worker_id", "status"], unique=False)

    op.create_table(
        "votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("intent_ok", sa.Boolean(), nullable=False),
        sa.Column("natural_ok", sa.Boolean(), nullable=False),
        sa.Column("spelling_ok", sa.Boolean(), nullable=False),
        sa.Column("values_ok", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("agreed", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["query_id"], ["queries.id"], name=op.f("fk_votes_query_id_queries")
        ),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], name=op.f("fk_votes_worker_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
    )
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_votes_query_id"), ["query_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_votes_worker_id"), ["worker_id"], unique=False)
        batch_op.create_index("uq_votes_query_worker", ["query_id", "worker_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_index("uq_votes_query_worker")
        batch_op.drop_index(batch_op.f("ix_votes_worker_id"))
        batch_op.drop_index(batch_op.f("ix_votes_query_id"))

    op.drop_table("votes")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index("ix_offers_worker_status")
        batch_op.drop_index("ix_offers_campaign_status")

    op.drop_table("offers")
    with op.batch_alter_table("queries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queries_worker_id"))
        batch_op.drop_index(batch_op.f("ix_queries_task_id"))
        batch_op.drop_index("ix_queries_campaign_status")

    op.drop_table("queries")
    with op.batch_alter_table("generation_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_generation_tasks_campaign_status")
        batch_op.drop_index(batch_op.f("ix_generation_tasks_campaign_id"))

    op.drop_table("generation_tasks")
    op.drop_table("campaign_workers")
    with op.batch_alter_table("campaign_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_events_campaign_id"))

    op.drop_table("campaign_events")
    op.drop_table("worker_standing")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_requester_id"))

    op.drop_table("campaigns")
