from __future__ import annotations

from common.db import make_base
from common.projections import PersonDirectoryMixin

Base = make_base()


class Person(PersonDirectoryMixin, Base):
    """Everyone the rosters know of; public search reads names and IL numbers from here."""
    __tablename__ = "people"
