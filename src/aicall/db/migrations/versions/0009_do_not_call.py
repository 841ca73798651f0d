"""Do-Not-Call lists and the compliance audit log (issue 14; Decree 91/2020/ND-CP Art. 13).

`dnc_entries` is keyed by (account, number): the claim's look-up of a batch of numbers and a
bulk load's ON CONFLICT both use the primary key. The audit log pages newest first, of every
type or one.

Revision ID: 0009_do_not_call
Revises: 0008_ledger_keyset
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from aicall.db.base import UTCDateTime

revision = "0009_do_not_call"
down_revision = "0008_ledger_keyset"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dnc_entries",
        sa.Column("account_id", sa.String(length=24), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_dnc_entries_account_id_accounts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "phone", name="pk_dnc_entries"),
    )
    op.create_table(
        "compliance_audit",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("account_id", sa.String(length=24), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("campaign_id", sa.String(length=24), nullable=True),
        sa.Column("contact_id", sa.String(length=36), nullable=True),
        sa.Column("until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_compliance_audit_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_compliance_audit"),
    )
    op.create_index(
        "ix_compliance_audit_account_created", "compliance_audit", ["account_id", "created_at", "id"]
    )
    op.create_index(
        "ix_compliance_audit_account_type_created",
        "compliance_audit",
        ["account_id", "type", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_compliance_audit_account_type_created", table_name="compliance_audit")
    op.drop_index("ix_compliance_audit_account_created", table_name="compliance_audit")
    op.drop_table("compliance_audit")
    op.drop_table("dnc_entries")
