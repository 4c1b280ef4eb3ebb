"""learner records know their roster (a training list opens application training at once);
merges the training core and report codes branches

Revision ID: b7d2e4c81f06
Revises: af28a5a4cdf6, eef1361159a7
Create Date: 2026-11-30 17:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b7d2e4c81f06"
down_revision = ("af28a5a4cdf6", "eef1361159a7")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("learner_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roster", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("learner_records", schema=None) as batch_op:
        batch_op.drop_column("roster")
