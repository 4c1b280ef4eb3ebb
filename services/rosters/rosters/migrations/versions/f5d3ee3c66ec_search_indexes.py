"""search indexes: case-insensitive name prefixes for the public roster search

Revision ID: f5d3ee3c66ec
Revises: 9b76416d1115
Create Date: 2026-11-22 09:08:33.266476

rosters.search matches names as `lower(name)` ranges; these expression indexes let it find them
without reading all 60,000 people (bench/search.py). rosters.models declares the same indexes on
Person so that the models and the migrations agree.
"""
from alembic import op
import sqlalchemy as sa


revision = 'f5d3ee3c66ec'
down_revision = '9b76416d1115'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_people_lower_last_name", "people", [sa.text("lower(last_name)")])
    op.create_index("ix_people_lower_first_name", "people", [sa.text("lower(first_name)")])


def downgrade() -> None:
    op.drop_index("ix_people_lower_first_name", table_name="people")
    op.drop_index("ix_people_lower_last_name", table_name="people")
