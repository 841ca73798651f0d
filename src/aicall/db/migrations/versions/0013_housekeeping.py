"""Housekeeping (issue 13): campaigns can be archived; indexes for pruning webhook events,
their delivery log and stored Idempotency-Key answers by age.

Revision ID: 0013_housekeeping
Revises: 0012_voice_credentials
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

import aicall.db.base

revision = "0013_housekeeping"
down_revision = "0012_voice_credentials"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("archived_at", aicall.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index("ix_webhook_events_created", "webhook_events", ["created_at"])
    op.create_index("ix_webhook_deliveries_created", "webhook_deliveries", ["created_at"])
    op.create_index("ix_idempotent_requests_created", "idempotent_requests", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotent_requests_created", table_name="idempotent_requests")
    op.drop_index("ix_webhook_deliveries_created", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_events_created", table_name="webhook_events")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
