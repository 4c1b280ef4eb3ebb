"""known log-in addresses (a correct password from one skips the cross-address delay)

Revision ID: 4b7e2d91c0a5
Revises: 9985f4e50c9e
Create Date: 2026-11-30 16:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '4b7e2d91c0a5'
down_revision = '9985f4e50c9e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('known_addresses',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.PrimaryKeyConstraint('account_id', 'address')
    )


def downgrade() -> None:
    op.drop_table('known_addresses')
