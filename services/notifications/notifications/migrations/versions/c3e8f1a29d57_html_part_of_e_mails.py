"""html part of e-mails

Revision ID: c3e8f1a29d57
Revises: 76a746280fa4
Create Date: 2026-11-23 10:05:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'c3e8f1a29d57'
down_revision = '76a746280fa4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # e-mails queued before this revision have none and go as plain text
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.drop_column('html')
