"""Answering-machine detection results on call attempts, and a caller identity per hotline pool
(issue 15).

`hotline_pools.asserted_identity` / `privacy`: the P-Asserted-Identity (RFC 3325 §9.1) and
Privacy (RFC 3323 §4.2) every INVITE of the pool carries; null: not sent.
`call_attempts.amd`: the detector's verdict, reason, decision time and whether a voicemail
message was left (null: detection was off). The AMD settings themselves are campaign settings,
stored in `campaigns.settings` (JSON), and need no column.

Revision ID: 0018_answering_machine
Revises: 0017_account_speech_settings
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018_answering_machine"
down_revision = "0017_account_speech_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hotline_pools", schema=None) as batch_op:
        batch_op.add_column(sa.Column("asserted_identity", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("privacy", sa.String(length=64), nullable=True))
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "amd",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.drop_column("amd")
    with op.batch_alter_table("hotline_pools", schema=None) as batch_op:
        batch_op.drop_column("privacy")
        batch_op.drop_column("asserted_identity")
