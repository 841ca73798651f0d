"""An account's own credentials for the TTS vendors (Vbee, FPT.AI), the token sealed (issue 16).

Revision ID: 0012_voice_credentials
Revises: 0011_attempt_opt_out
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from aicall.db.base import UTCDateTime

revision = "0012_voice_credentials"
down_revision = "0011_attempt_opt_out"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_credentials",
        sa.Column("account_id", sa.String(length=24), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("app_id", sa.String(length=200), nullable=False),
        sa.Column("token_encrypted", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_voice_credentials_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "engine", name="pk_voice_credentials"),
    )


def downgrade() -> None:
    op.drop_table("voice_credentials")
