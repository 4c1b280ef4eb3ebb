from __future__ import annotations

from common.db import make_base
from common.projections import PersonDirectoryMixin

Base = make_base()


class Learner(PersonDirectoryMixin, Base):
    """A person who may enroll; transcripts are printed with this name and IL number."""
    __tablename__ = "learners"
