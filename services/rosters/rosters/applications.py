"""Applying for a classification: the record starts, and is evaluated at once (a migrated
worker's history may already meet every requirement).

A person who just created an account may apply before `accounts.person_registered` reaches us:
the caller then passes the public facts it knows (IL number and name) and the person's entry is
made on demand; the event, when it comes, fills in the rest (`facts_events.register_person`
upserts). Without them an unknown person is told to try again in a moment (503), never waited for."""
from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from common import audit
from common.contracts.rosters import RecordOut
from common.errors import Conflict, NotFound, ServiceUnavailable, validated
from common.events import Event
from common.events.rosters import ApplicationStarted
from rosters.clock import now
from rosters.facts_store import facts_for
from rosters.models import ClassificationRecord, Person
from rosters.records import Reevaluation
from rosters.rulebook import classification_or_none
from rosters.views import record_out


class KnownPerson(BaseModel):
    """The public facts of a person the caller knows (from the authenticated account)."""
    model_config = ConfigDict(extra="ignore")
    il_number: str = Field(pattern=r"^\d{10}$")
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)


def ensure_person(session: Session, person_id: uuid.UUID, known: dict | None) -> None:
    """The person's entry here, made from `known` if the accounts event has not come yet."""
    if session.get(Person, person_id) is not None:
        return
    if not known:
        raise ServiceUnavailable("We are still setting up your record. Please try again in a moment.")
    from rosters.facts_events import insert_person_if_missing

    facts = validated(KnownPerson, known)
    insert_person_if_missing(session, person_id, facts.il_number, facts.first_name, facts.last_name)


def apply(session: Session, catalog, person_id: uuid.UUID, code: str, actor, today: date,
          known: dict | None = None) -> tuple[RecordOut, list[Event]]:
    rules = classification_or_none(catalog, code.strip().upper(), today)
    if rules is None:
        raise NotFound(f"There is no classification {code!r}. See GET /api/v1/classifications.")
    if rules.entry == "advancement_only":
        raise Conflict(f"{rules.name} is reached by advancing from the group below, not by applying. "
                       "Apply for the entry group instead.")
    ensure_person(session, person_id, known)
    existing = session.scalar(sa.select(ClassificationRecord).where(
        ClassificationRecord.person_id == person_id, ClassificationRecord.classification_code == rules.code))
    if existing is not None:
        raise Conflict(f"You already have a record in {rules.name}.")
    record = ClassificationRecord(
        id=uuid.uuid4(), person_id=person_id, classification_code=rules.code, local=rules.local,
        applied_on=today, status="", status_as_of=today, updated_at=now())
    session.add(record)
    events: list[Event] = [ApplicationStarted(person_id=person_id, classification_code=rules.code,
                                              local=rules.local, roster=rules.roster)]
    audit.record(session, actor, "application.started", "classification_record", record.id,
                 person_id=person_id, classification_code=rules.code)
    facts = facts_for(session, person_id)
    reevaluation = Reevaluation(session, catalog, today, actor)
    result = reevaluation.record(record, facts)
    return record_out(catalog, rules, result, record), events + reevaluation.events
