"""Answering-machine detection settings and per-pool caller identity (issue 15). PLACEHOLDER.

Revision ID: 0018_answering_machine
Revises: 0017_account_speech_settings
Create Date: 2026-12-01
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0018_answering_machine"
down_revision = "0017_account_speech_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
