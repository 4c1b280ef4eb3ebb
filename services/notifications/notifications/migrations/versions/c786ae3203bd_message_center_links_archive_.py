"""message center links archive preferences digest

Revision ID: c786ae3203bd
Revises: ca59105bfc93
Create Date: 2026-11-30 17:10:52.169961
"""
from alembic import op
import sqlalchemy as sa


revision = 'c786ae3203bd'
down_revision = 'ca59105bfc93'  # a sibling of the bulletins revision: every head is applied
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('digest_runs',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('email_preferences',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('person_id')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_messages_person_created', ['person_id', 'created_at'], unique=False)
        batch_op.create_index('ix_messages_unread_inbox', ['person_id'], unique=False, postgresql_where=sa.text('read_at IS NULL AND archived_at IS NULL'), sqlite_where=sa.text('read_at IS NULL AND archived_at IS NULL'))

    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('mandatory', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('digest_id', sa.Uuid(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('outgoing_emails', schema=None) as batch_op:
        batch_op.drop_column('digest_id')
        batch_op.drop_column('mandatory')
        batch_op.drop_column('category')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_unread_inbox', postgresql_where=sa.text('read_at IS NULL AND archived_at IS NULL'), sqlite_where=sa.text('read_at IS NULL AND archived_at IS NULL'))
        batch_op.drop_index('ix_messages_person_created')
        batch_op.drop_column('archived_at')
        batch_op.drop_column('link')

    op.drop_table('email_preferences')
    op.drop_table('digest_runs')
