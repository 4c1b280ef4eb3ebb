"""The Compliance Report's verification codes.

Only a digest of each code is kept: the code itself lives on the printed report, so a copy of
the database does not hand out working codes, and a look-up by digest does not time the
comparison of the secret itself.
"""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime
from training.models import Base


class ReportCode(Base):
    __tablename__ = "report_codes"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)   # sha256 hex of the code
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
