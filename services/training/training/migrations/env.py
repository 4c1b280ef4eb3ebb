from common.migrations import run_migrations
from training.models import Base

run_migrations(Base.metadata)
