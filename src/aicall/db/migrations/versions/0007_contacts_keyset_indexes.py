"""Indexes for the dashboard's contacts table: keyset paging in import order, with or without a
status filter.

Without them a page of a 100,000-contact campaign sorted every contact of the campaign by
(created_at, id) before taking 50; with them a page reads 51 index entries, wherever it starts
(bench/bench_dashboard.py).

Revision ID: 0007_contacts_keyset
Revises: 0006_users
Create Date: 2026-12-01
"""

from alembic import op

revision = "0007_contacts_keyset"
down_revision = "0006_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_contacts_campaign_created", "contacts", ["campaign_id", "created_at", "id"])
    op.create_index(
        "ix_contacts_campaign_status_created", "contacts", ["campaign_id", "status", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_campaign_status_created", table_name="contacts")
    op.drop_index("ix_contacts_campaign_created", table_name="contacts")
