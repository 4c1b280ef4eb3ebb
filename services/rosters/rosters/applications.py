"""Applying for a classification: the record starts, and is evaluated at once (a migrated
worker's history may already meet every requirement)."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.errors import Conflict, NotFound
from common.events import Event
from common.events.rosters import ApplicationStarted
from rosters.clock import now
from rosters.facts_store import facts_for
from rosters.models import ClassificationRecord, Person
from rosters.records import Reevaluation
from rosters.rulebook import classification_or_none
from rosters.schemas import RecordOut
from rosters.views import record_out


def apply(session: Session, catalog, person_id: uuid.UUID, code: str, actor,
          publish: Callable[[Event], None], today: date) -> RecordOut:
    rules = classification_or_none(catalog, code.strip().upper(), today)
    if rules is None:
        raise NotFound(f"There is no classification {code!r}. See GET /api/v1/classifications.")
    if rules.entry == "advancement_only":
        raise Conflict(f"{rules.name} is reached by advancing from the group below, not by applying. "
                       "Apply for the entry group instead.")
    if session.get(Person, person_id) is None:
        raise NotFound("We do not have your record yet. Please try again in a minute.")
    existing = session.scalar(sa.select(ClassificationRecord).where(
        ClassificationRecord.person_id == person_id, ClassificationRecord.classification_code == rules.code))
    if existing is not None:
        raise Conflict(f"You already have a record in {rules.name}.")
    record = ClassificationRecord(
        id=uuid.uuid4(), person_id=person_id, classification_code=rules.code, local=rules.local,
        applied_on=today, status="", status_as_of=today, updated_at=now())
    session.add(record)
    publish(ApplicationStarted(person_id=person_id, classification_code=rules.code, local=rules.local))
    audit.record(session, actor, "application.started", "classification_record", record.id,
                 person_id=person_id, classification_code=rules.code)
    facts = facts_for(session, person_id)
    result = Reevaluation(session, catalog, publish, today, actor).record(record, facts)
    return record_out(catalog, rules, result, record)


def person_is_known(session: Session, person_id: uuid.UUID) -> bool:
    return session.get(Person, person_id) is not None
