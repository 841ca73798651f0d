"""A contact's webhook events are delivered in order (issue 13): an ordering key (the contact)
on each event, and an index of the pending ones by key and age.

Revision ID: 0015_webhook_order
Revises: 0014_advertising_policy
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_webhook_order"
down_revision = "0014_advertising_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ordering_key", sa.String(length=36), nullable=True))
    op.create_index(
        "ix_webhook_events_pending_order",
        "webhook_events",
        ["ordering_key", "created_at"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_events_pending_order", table_name="webhook_events")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_column("ordering_key")
