"""metadata-only documents: papers on file in the legacy system, imported without a scan

Revision ID: e4a08e801b58
Revises: 0c01db17ec9c
Create Date: 2026-12-08 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'e4a08e801b58'
down_revision = '0c01db17ec9c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch: SQLite rebuilds the table to change NOT NULL; PostgreSQL simply ALTERs it
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.alter_column('content_type', existing_type=sa.String(length=100), nullable=True)
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('object_key', existing_type=sa.String(length=300), nullable=True)
        batch_op.add_column(sa.Column('legacy_key', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint('uq_documents_legacy_key', ['legacy_key'])


def downgrade() -> None:
    # a metadata-only document cannot exist without the columns it lacks
    op.execute("DELETE FROM documents WHERE object_key IS NULL")
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint('uq_documents_legacy_key', type_='unique')
        batch_op.drop_column('legacy_key')
        batch_op.alter_column('object_key', existing_type=sa.String(length=300), nullable=False)
        batch_op.alter_column('sha256', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('content_type', existing_type=sa.String(length=100), nullable=False)
