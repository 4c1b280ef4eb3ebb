"""e-mails to an address with no person

Revision ID: ca59105bfc93
Revises: c3e8f1a29d57
Create Date: 2026-11-30 16:19:51.272431
"""
from alembic import op
import sqlalchemy as sa


revision = 'ca59105bfc93'
down_revision = 'c3e8f1a29d57'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # an anonymous Contact Us sender has an address and no person record
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_address', sa.String(length=254), nullable=True))
        batch_op.alter_column('person_id',
               existing_type=sa.Uuid(),
               nullable=True)

    # ### end Alembic commands ###


def downgrade() -> None:
    # an anonymous Contact Us sender has an address and no person record
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.alter_column('person_id',
               existing_type=sa.Uuid(),
               nullable=False)
        batch_op.drop_column('to_address')

    # ### end Alembic commands ###
