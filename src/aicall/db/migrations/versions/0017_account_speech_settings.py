"""Per-account speech recognition settings (issue 16). PLACEHOLDER: filled by the ASR-per-account work; empty until then.

Revision ID: 0017_account_speech_settings
Revises: 0016_user_session_epoch
Create Date: 2026-12-01
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0017_account_speech_settings"
down_revision = "0016_user_session_epoch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
