"""Contacts say why the calling rules refused or hold them, and by which rule (issue 14).

Revision ID: 0010_contact_compliance
Revises: 0009_do_not_call
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_contact_compliance"
down_revision = "0009_do_not_call"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compliance_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("compliance_rule", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("compliance_rule")
        batch_op.drop_column("compliance_reason")
