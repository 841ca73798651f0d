"""Call attempts say when the callee pressed the scenario's opt-out key (issue 14).

Revision ID: 0011_attempt_opt_out
Revises: 0010_contact_compliance
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_attempt_opt_out"
down_revision = "0010_contact_compliance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opt_out", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.drop_column("opt_out")
