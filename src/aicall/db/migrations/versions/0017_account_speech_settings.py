"""Per-account speech recognition settings (issue 16): engine, base URL, sealed API key, model and
timeout of an account's recogniser (accounts/speech_settings.py); no row: the platform's.

Revision ID: 0017_account_speech_settings
Revises: 0016_user_session_epoch
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from aicall.db.base import UTCDateTime

revision = "0017_account_speech_settings"
down_revision = "0016_user_session_epoch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_speech_settings",
        sa.Column("account_id", sa.String(length=24), nullable=False),
        sa.Column("asr_engine", sa.String(length=16), nullable=False),
        sa.Column("asr_base_url", sa.Text(), nullable=False),
        sa.Column("asr_api_key_encrypted", sa.Text(), nullable=False),
        sa.Column("asr_model", sa.String(length=200), nullable=False),
        sa.Column("asr_timeout", sa.Float(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_account_speech_settings_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_account_speech_settings"),
    )


def downgrade() -> None:
    op.drop_table("account_speech_settings")
