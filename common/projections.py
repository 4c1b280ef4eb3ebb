"""A service's own copy of the few person fields it needs, kept fresh from accounts events.

No cross-service foreign keys: rosters, documents and training each keep id, IL number and
name (public facts) and nothing else about a person.
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from common.db import UTCDateTime
from common.events.accounts import PersonRegistered


class PersonDirectoryMixin:
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    il_number: Mapped[str] = mapped_column(sa.String(10), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100), index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


def upsert_person(session: Session, model, event: PersonRegistered) -> None:
    person = session.get(model, event.person_id)
    if person is None:
        person = model(person_id=event.person_id, registered_at=datetime.now(UTC))
        session.add(person)
    person.il_number = event.il_number
    person.first_name = event.first_name
    person.last_name = event.last_name
