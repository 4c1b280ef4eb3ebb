"""classification records: next_review_on and review_basis (the incremental daily sweep)

Revision ID: 3a7c5e9b1d20
Revises: 84b6bde53e13, 5e1f0c7a9d42
Create Date: 2026-12-01 12:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '3a7c5e9b1d20'
down_revision = ('84b6bde53e13', '5e1f0c7a9d42')
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('classification_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_review_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('review_basis', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_classification_records_next_review_on'), ['next_review_on'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('classification_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_classification_records_next_review_on'))
        batch_op.drop_column('review_basis')
        batch_op.drop_column('next_review_on')
