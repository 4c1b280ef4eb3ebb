"""bulletins

Revision ID: b337ccb45b97
Revises: ca59105bfc93
Create Date: 2026-11-30 17:10:20.838641
"""
from alembic import op
import sqlalchemy as sa


revision = 'b337ccb45b97'
down_revision = 'ca59105bfc93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # safety bulletins, who was told of each, and who applied for which local / classification
    op.create_table('bulletin_audience_members',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('classification_code', sa.String(length=60), nullable=False),
    sa.Column('local', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('person_id', 'classification_code')
    )
    with op.batch_alter_table('bulletin_audience_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletin_audience_members_local'), ['local'], unique=False)

    op.create_table('bulletin_deliveries',
    sa.Column('bulletin_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('message_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('bulletin_id', 'person_id')
    )
    op.create_table('bulletins',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience_locals', sa.JSON(), nullable=False),
    sa.Column('audience_classifications', sa.JSON(), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.create_index('ix_bulletins_published_on', ['published_on', 'created_at'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    # safety bulletins, who was told of each, and who applied for which local / classification
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.drop_index('ix_bulletins_published_on')

    op.drop_table('bulletins')
    op.drop_table('bulletin_deliveries')
    with op.batch_alter_table('bulletin_audience_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletin_audience_members_local'))

    op.drop_table('bulletin_audience_members')
    # ### end Alembic commands ###
