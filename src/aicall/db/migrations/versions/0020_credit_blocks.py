"""Credit reserved in blocks per dialer (issue 13). PLACEHOLDER.

Revision ID: 0020_credit_blocks
Revises: 0019_shared_limits
Create Date: 2026-12-01
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0020_credit_blocks"
down_revision = "0019_shared_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
