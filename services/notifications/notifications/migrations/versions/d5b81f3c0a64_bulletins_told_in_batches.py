"""bulletins told in batches

Revision ID: d5b81f3c0a64
Revises: b337ccb45b97
Create Date: 2026-12-01 02:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'd5b81f3c0a64'
down_revision = 'b337ccb45b97'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # bulletins published before this revision were told in full at once: nothing is due
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_due', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.drop_column('delivery_due')
