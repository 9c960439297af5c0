"""offers indexed by item and status (#16)

Every dispatch counts the offers out on each candidate item (``labeling_store.claim_items_for``,
``offers_in_flight``); without this index each count read the whole offers table, so asking for
work slowed down with every offer ever made: 73.5 ms of CPU for an ask and an answer after
1,000 of them on SQLite, 15.5 ms with the index (``bench/http_load/service_cycle.py``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_offers_item_status", "offers", ["item_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_offers_item_status", table_name="offers")
