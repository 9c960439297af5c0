"""ledger streams (decision record 0006): transactions chained per stream, seals anchoring the
stream heads in the global chain, deferred platform balances, a sequence for ``seq``

Existing transactions stay in the legacy stream ``""`` (their hashes do not change); its head
moves from ``ledger_head`` to ``ledger_streams``, and ``ledger_head`` becomes the tip of the
(still empty) chain of seals.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stream", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("stream_seq", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.alter_column("stream", server_default=None)
        batch_op.alter_column("stream_seq", server_default=None)
        batch_op.create_index(
            "ix_ledger_transactions_stream", ["stream", "stream_seq"], unique=False
        )

    op.create_table(
        "ledger_streams",
        sa.Column("stream", sa.String(length=40), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("stream", name=op.f("pk_ledger_streams")),
    )
    op.create_table(
        "ledger_seals",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_ledger_seals")),
        sa.UniqueConstraint("hash", name=op.f("uq_ledger_seals_hash")),
    )
    op.create_table(
        "ledger_seal_heads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seal_number", sa.BigInteger(), nullable=False),
        sa.Column("stream", sa.String(length=40), nullable=False),
        sa.Column("stream_seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["seal_number"],
            ["ledger_seals.number"],
            name=op.f("fk_ledger_seal_heads_seal_number_ledger_seals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_seal_heads")),
    )
    with op.batch_alter_table("ledger_seal_heads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_seal_heads_seal_number"), ["seal_number"], unique=False
        )
        batch_op.create_index("ix_ledger_seal_heads_stream", ["stream", "stream_seq"], unique=False)
    op.create_table(
        "ledger_balance_deltas",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_balance_deltas_account_id_ledger_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_balance_deltas")),
    )
    with op.batch_alter_table("ledger_balance_deltas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_balance_deltas_account_id"), ["account_id"], unique=False
        )

    bind = op.get_bind()
    last_seq, last_hash = bind.execute(
        sa.text("SELECT last_seq, last_hash FROM ledger_head WHERE id = 1")
    ).one()
    if last_seq:
        bind.execute(
            sa.text("INSERT INTO ledger_streams (stream, last_seq, last_hash) VALUES ('', :n, :h)"),
            {"n": last_seq, "h": last_hash},
        )
    bind.execute(
        sa.text("UPDATE ledger_head SET last_seq = 0, last_hash = :h WHERE id = 1"),
        {"h": GENESIS},
    )
    if bind.dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE ledger_transaction_seq OWNED BY ledger_transactions.seq")
        if last_seq:
            bind.execute(sa.text("SELECT setval('ledger_transaction_seq', :n)"), {"n": last_seq})


def downgrade() -> None:
    bind = op.get_bind()
    streams = bind.execute(
        sa.text("SELECT count(*) FROM ledger_transactions WHERE stream <> ''")
    ).scalar_one()
    if streams:
        raise RuntimeError(
            "transactions chained per stream cannot be moved back to one chain: restore a backup "
            "taken before revision 0010 instead"
        )
    legacy = bind.execute(
        sa.text("SELECT last_seq, last_hash FROM ledger_streams WHERE stream = ''")
    ).one_or_none()
    last_seq, last_hash = legacy if legacy is not None else (0, GENESIS)
    bind.execute(
        sa.text("UPDATE ledger_head SET last_seq = :n, last_hash = :h WHERE id = 1"),
        {"n": last_seq, "h": last_hash},
    )
    if bind.dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS ledger_transaction_seq")
    op.drop_table("ledger_balance_deltas")
    op.drop_table("ledger_seal_heads")
    op.drop_table("ledger_seals")
    op.drop_table("ledger_streams")
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_transactions_stream")
        batch_op.drop_column("stream_seq")
        batch_op.drop_column("stream")
