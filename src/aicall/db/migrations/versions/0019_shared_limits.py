"""Calls-per-second and API rate limits shared across processes (issue 13): a token bucket per
key as one row (`aicall.db.limits`), taken from by one atomic upsert.

Revision ID: 0019_shared_limits
Revises: 0018_answering_machine
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_shared_limits"
down_revision = "0018_answering_machine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_limits",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("tat", sa.Double(), nullable=False),
        sa.Column("granted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_shared_limits")),
    )


def downgrade() -> None:
    op.drop_table("shared_limits")
