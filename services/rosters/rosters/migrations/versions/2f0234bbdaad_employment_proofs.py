"""employment proofs

Revision ID: 2f0234bbdaad
Revises: 758d62deedc3
Create Date: 2026-11-30 17:20:57.591690
"""
import sqlalchemy as sa
from alembic import op

revision = '2f0234bbdaad'
down_revision = '758d62deedc3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('employment_proofs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('held_ssn_index', sa.String(length=64), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('employer', sa.String(length=200), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=True),
    sa.Column('submitted_by', sa.Uuid(), nullable=True),
    sa.Column('classification_code', sa.String(length=40), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attached_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.person_id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('employment_proofs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employment_proofs_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_employment_proofs_held_ssn_index'), ['held_ssn_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_employment_proofs_organisation'), ['organisation'], unique=False)
        batch_op.create_index(batch_op.f('ix_employment_proofs_submitted_by'), ['submitted_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('employment_proofs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employment_proofs_submitted_by'))
        batch_op.drop_index(batch_op.f('ix_employment_proofs_organisation'))
        batch_op.drop_index(batch_op.f('ix_employment_proofs_held_ssn_index'))
        batch_op.drop_index(batch_op.f('ix_employment_proofs_person_id'))
    op.drop_table('employment_proofs')
