from __future__ import annotations

from common.db import make_base
from common.projections import PersonDirectoryMixin

Base = make_base()


class Owner(PersonDirectoryMixin, Base):
    """A person who may own documents; the staff review queue shows this name and IL number."""
    __tablename__ = "owners"
