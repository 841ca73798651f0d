"""Dashboard sessions end at logout: a per-user epoch that every session cookie must match.

Revision ID: 0016_user_session_epoch
Revises: 0015_webhook_order
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_user_session_epoch"
down_revision = "0015_webhook_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
