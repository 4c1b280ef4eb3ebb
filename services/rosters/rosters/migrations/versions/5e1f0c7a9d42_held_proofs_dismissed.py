"""held proofs of employment staff dismissed

Revision ID: 5e1f0c7a9d42
Revises: 2f0234bbdaad
Create Date: 2026-12-01 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '5e1f0c7a9d42'
down_revision = '2f0234bbdaad'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('employment_proofs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dismissed_by', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('dismissed_reason', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('employment_proofs', schema=None) as batch_op:
        batch_op.drop_column('dismissed_reason')
        batch_op.drop_column('dismissed_by')
        batch_op.drop_column('dismissed_at')
