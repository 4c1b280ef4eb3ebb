"""Safety bulletins, who has been told of each, and the small projection of who applied for
which local / classification (from rosters.application_started) that targets them. On the
notifications service's Base."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime
from notifications.models import Base


class Bulletin(Base):
    """A safety bulletin: shown publicly while not withdrawn."""
    __tablename__ = "bulletins"
    __table_args__ = (sa.Index("ix_bulletins_published_on", "published_on", "created_at"),)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    # the audience: both empty means everyone
    audience_locals: Mapped[list] = mapped_column(sa.JSON, default=list)
    audience_classifications: Mapped[list] = mapped_column(sa.JSON, default=list)
    published_on: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # some of its audience is still to be told (notifications.bulletins.deliver_next_batch)
    delivery_due: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())


class BulletinDelivery(Base):
    """One row per bulletin and person told of it: the Message Center entry goes once."""
    __tablename__ = "bulletin_deliveries"
    bulletin_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    message_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BulletinAudienceMember(Base):
    """A person's application for a classification (and its local): fed only by
    rosters.application_started, read only to target bulletins."""
    __tablename__ = "bulletin_audience_members"
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    classification_code: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    local: Mapped[str | None] = mapped_column(sa.String(20), index=True)
