"""The advertising policy (issue 14; Decree 91/2020/ND-CP Art. 13): when each number last had an
advertising call, per account (the 24-hour rule across campaigns, cl. 5), and the pools
registered for advertising (brand-name numbers).

Revision ID: 0014_advertising_policy
Revises: 0013_housekeeping
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import aicall.db.base

revision = "0014_advertising_policy"
down_revision = "0013_housekeeping"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "advertising_calls",
        sa.Column("account_id", sa.String(length=24), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("last_call_at", aicall.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_advertising_calls_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "phone", name="pk_advertising_calls"),
    )
    with op.batch_alter_table("hotline_pools", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("advertising_registered", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("hotline_pools", schema=None) as batch_op:
        batch_op.drop_column("advertising_registered")
    op.drop_table("advertising_calls")
