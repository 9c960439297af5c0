"""accounts, tokens and the ledger

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("owner_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_accounts_key")),
    )
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_accounts_owner", ["owner_kind", "owner_id"], unique=False)

    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_ledger_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("pseudonym", sa.String(length=32), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role in ('requester', 'worker', 'operator')", name=op.f("ck_users_role_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_users_pseudonym")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "ledger_transactions",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_ledger_transactions_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("hash", name=op.f("uq_ledger_transactions_hash")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_transactions_idempotency_key")),
    )
    op.create_table(
        "worker_demographics",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("age_band", sa.String(length=20), nullable=True),
        sa.Column("gender", sa.String(length=40), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("education", sa.String(length=40), nullable=True),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_worker_demographics_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_worker_demographics")),
    )
    op.create_table(
        "ledger_postings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("transaction_seq", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_postings_amount_nonzero")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_postings_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_seq"],
            ["ledger_transactions.seq"],
            name=op.f("fk_ledger_postings_transaction_seq_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
    )
    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_postings_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_postings_transaction_seq"), ["transaction_seq"], unique=False
        )

    # The chain's tip starts at the genesis hash; writers lock this row (see storage/ledger.py).
    head = sa.table("ledger_head", sa.column("id"), sa.column("last_seq"), sa.column("last_hash"))
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": "0" * 64}])


def downgrade() -> None:

    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_postings_transaction_seq"))
        batch_op.drop_index(batch_op.f("ix_ledger_postings_account_id"))

    op.drop_table("ledger_postings")
    op.drop_table("worker_demographics")
    op.drop_table("ledger_transactions")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("ledger_head")
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_accounts_owner")

    op.drop_table("ledger_accounts")
