"""Credit reserved in blocks per dialer (issue 13): `credit_blocks`, one row per account and
dialer, so storing results no longer updates the account row every dialer shares.

Calls in flight at the upgrade held their reservation on the account itself; each dialer's are
gathered into a block of its own (amount = in_flight = their reservations), so that recovery,
which now releases a call's reservation from its dialer's block, settles them exactly.

Revision ID: 0020_credit_blocks
Revises: 0019_shared_limits
Create Date: 2026-12-01
"""

import os
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import aicall.db.base

revision = "0020_credit_blocks"
down_revision = "0019_shared_limits"
branch_labels = None
depends_on = None


def _object_id() -> str:
    # aicall.ids.object_id's format; db/ stands below aicall.ids, so it is not imported.
    return int(time.time()).to_bytes(4, "big").hex() + os.urandom(8).hex()


def upgrade() -> None:
    blocks = op.create_table(
        "credit_blocks",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("account_id", sa.String(length=24), nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("charged", sa.BigInteger(), nullable=False),
        sa.Column("in_flight", sa.BigInteger(), nullable=False),
        sa.Column("created_at", aicall.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "charged >= 0 AND in_flight >= 0 AND charged + in_flight <= amount",
            name=op.f("ck_credit_blocks_within_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_credit_blocks_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_blocks")),
        sa.UniqueConstraint("account_id", "worker_id", name="uq_credit_blocks_account_worker"),
    )
    held = op.get_bind().execute(
        sa.text(
            "SELECT account_id, worker_id, SUM(reserved) FROM call_attempts "
            "WHERE status = 'in_progress' AND reserved > 0 GROUP BY account_id, worker_id"
        )
    )
    rows = [
        {
            "id": _object_id(),
            "account_id": account_id,
            "worker_id": worker_id,
            "amount": int(total),
            "charged": 0,
            "in_flight": int(total),
            "created_at": datetime.now(UTC),
        }
        for account_id, worker_id, total in held
    ]
    if rows:
        op.bulk_insert(blocks, rows)


def downgrade() -> None:
    # Blocks folded back into the accounts first, so no credit stays held by a table that is gone.
    op.execute(
        "UPDATE accounts SET "
        "balance = balance - COALESCE((SELECT SUM(charged) FROM credit_blocks b "
        "WHERE b.account_id = accounts.id), 0), "
        "reserved = reserved - COALESCE((SELECT SUM(amount - in_flight) FROM credit_blocks b "
        "WHERE b.account_id = accounts.id), 0)"
    )
    op.drop_table("credit_blocks")
