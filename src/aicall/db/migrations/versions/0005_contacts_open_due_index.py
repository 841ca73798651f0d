"""Partial index on contacts still to call, for the dialer's claim query.

Revision ID: 0005_contacts_open_due
Revises: 0004_webhooks
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_contacts_open_due"
down_revision = "0004_webhooks"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('pending', 'retry_wait')")


def upgrade() -> None:
    op.create_index(
        "ix_contacts_open_due",
        "contacts",
        ["campaign_id", "next_attempt_at"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_open_due", table_name="contacts")
