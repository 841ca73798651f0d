"""Calls-per-second and API rate limits shared across processes (issue 13). PLACEHOLDER.

Revision ID: 0019_shared_limits
Revises: 0018_answering_machine
Create Date: 2026-12-01
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0019_shared_limits"
down_revision = "0018_answering_machine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
