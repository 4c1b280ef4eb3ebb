"""Facts that other services own, kept here from their events: people (accounts), document
reviews (documents), completions and questionnaire answers (training). Each function applies one
event and returns the person whose records must be re-evaluated."""
from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from common.clock import local_day, now
from common.events.accounts import PersonRegistered
from common.events.documents import DocumentExpired, DocumentReviewed
from common.events.training import CompletionExpired, CourseCompleted, Enrolled
from common.projections import upsert_person
from rosters.models import Answer, Completion, DocumentFact, Person, WorkDay
from rosters.work import dedupe_key


def insert_person_if_missing(session: Session, person_id: uuid.UUID, il_number: str, first_name: str,
                             last_name: str) -> None:
    """The person's entry, unless it is there already — or being made right now by another worker
    (an application made before accounts.person_registered arrived races the event's handler)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Person.__table__)
    session.execute(insert.values(person_id=person_id, il_number=il_number, first_name=first_name,
                                  last_name=last_name, registered_at=now())
                    .on_conflict_do_nothing(index_elements=["person_id"]))


def register_person(session: Session, event: PersonRegistered) -> uuid.UUID:
    """Upsert: the entry may exist already, made on demand when the person applied."""
    insert_person_if_missing(session, event.person_id, event.il_number, event.first_name, event.last_name)
    upsert_person(session, Person, event)
    if event.ssn_index:
        session.get(Person, event.person_id).ssn_index = event.ssn_index
        session.flush()
        attach_held_days(session, event.person_id, event.ssn_index, event.last_name)
    return event.person_id


def attach_held_days(session: Session, person_id: uuid.UUID, ssn_index: str, last_name: str) -> int:
    """Payroll days held for this SSN become the person's, if the payroll's last name is theirs
    (a mismatch stays held for staff to look at: it may be someone else's typo)."""
    held = session.scalars(sa.select(WorkDay).where(WorkDay.person_id.is_(None),
                                                    WorkDay.held_ssn_index == ssn_index)).all()
    wanted = " ".join(last_name.split()).casefold()
    attached = 0
    for day in held:
        if " ".join((day.held_last_name or "").split()).casefold() != wanted:
            continue
        attached += attach_day(session, day, person_id)
    session.flush()
    return attached


def attach_day(session: Session, day: WorkDay, person_id: uuid.UUID) -> bool:
    """One held day becomes the person's; False when the same day already reached them another
    way (the held copy is then dropped)."""
    key = dedupe_key(str(person_id), day.work_date, day.employer, day.classification_code)
    if session.scalar(sa.select(WorkDay.id).where(WorkDay.dedupe_key == key)) is not None:
        session.delete(day)
        return False
    day.person_id, day.dedupe_key = person_id, key
    day.held_ssn_index = day.held_last_name = None
    return True


def document_reviewed(session: Session, event: DocumentReviewed) -> uuid.UUID:
    fact = session.get(DocumentFact, event.document_id)
    if fact is None:
        fact = DocumentFact(document_id=event.document_id, person_id=event.person_id)
        session.add(fact)
    fact.document_type = event.document_type
    if event.decision == "approved":
        fact.status = "approved"
        # counted from when it was valid: the issue date staff read off it, else the business
        # day of the decision
        fact.approved_on = event.issued_on or event.reviewed_on or local_day(event.occurred_at)
        fact.expires_on = event.expires_on
    else:
        fact.status = "rejected"
    return event.person_id


def document_expired(session: Session, event: DocumentExpired) -> uuid.UUID:
    fact = session.get(DocumentFact, event.document_id)
    if fact is None:  # never seen approved: nothing it could have counted for
        session.add(DocumentFact(document_id=event.document_id, person_id=event.person_id,
                                 document_type=event.document_type, status="expired"))
        return event.person_id
    fact.status = "expired"
    # valid through the day before it expired, unless it was already known to end sooner
    if fact.expires_on is None or fact.expires_on > event.expired_on:
        fact.expires_on = event.expired_on - timedelta(days=1)
    return event.person_id


def course_completed(session: Session, event: CourseCompleted) -> uuid.UUID:
    completion = session.scalar(sa.select(Completion).where(
        Completion.person_id == event.person_id, Completion.course_code == event.course_code,
        Completion.completed_on == event.completed_on))
    if completion is None:
        session.add(Completion(person_id=event.person_id, course_code=event.course_code,
                               completed_on=event.completed_on, expires_on=event.expires_on))
    else:
        completion.expires_on = event.expires_on
    return event.person_id


def completion_expired(session: Session, event: CompletionExpired) -> uuid.UUID:
    for completion in session.scalars(sa.select(Completion).where(
            Completion.person_id == event.person_id, Completion.course_code == event.course_code,
            Completion.completed_on < event.expired_on)):
        if completion.expires_on is None or completion.expires_on > event.expired_on:
            completion.expires_on = event.expired_on - timedelta(days=1)
    return event.person_id


def enrolled(session: Session, event: Enrolled) -> uuid.UUID:
    """Answers given when enrolling, dated the business day of the enrollment: a later, different
    answer is a new row and applies from its own day, never to the days before it."""
    on = local_day(event.occurred_at)
    for question, answer in event.answers.items():
        row = session.scalar(sa.select(Answer).where(
            Answer.person_id == event.person_id, Answer.question == question[:40], Answer.answered_on == on))
        if row is None:
            session.add(Answer(person_id=event.person_id, question=question[:40], answer=bool(answer),
                               answered_on=on))
        else:  # answered again the same day: the last answer of the day stands
            row.answer = bool(answer)
    session.flush()
    return event.person_id
