from common.migrations import run_migrations
from rosters.models import Base

run_migrations(Base.metadata)
