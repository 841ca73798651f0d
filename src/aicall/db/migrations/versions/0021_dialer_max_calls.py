"""Each dialer's own cap on calls in flight (AICALL_DIALER_MAX_CALLS) on its heartbeat row, so
that a campaign whose contacts wait because every live dialer is full says so
(waiting reason `dialer_capacity`, issue 13's trial: "nothing silent").

0 means no cap, as in the setting; rows written before this revision read as 0.

Revision ID: 0021_dialer_max_calls
Revises: 0020_credit_blocks
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_dialer_max_calls"
down_revision = "0020_credit_blocks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dialer_workers") as batch:
        batch.add_column(sa.Column("max_calls", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("dialer_workers") as batch:
        batch.drop_column("max_calls")
