"""Facts that other services own, kept here from their events: people (accounts), document
reviews (documents), completions and questionnaire answers (training). Each function applies one
event and returns the person whose records must be re-evaluated."""
from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common.clock import local_day
from common.events.accounts import PersonRegistered
from common.events.documents import DocumentExpired, DocumentReviewed
from common.events.training import CompletionExpired, CourseCompleted, Enrolled
from common.projections import upsert_person
from rosters.models import Answer, Completion, DocumentFact, Person, WorkDay
from rosters.work import dedupe_key


def register_person(session: Session, event: PersonRegistered) -> uuid.UUID:
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
        key = dedupe_key(str(person_id), day.work_date, day.employer, day.classification_code)
        if session.scalar(sa.select(WorkDay.id).where(WorkDay.dedupe_key == key)) is not None:
            session.delete(day)  # the same day already reached them another way
            continue
        day.person_id, day.dedupe_key = person_id, key
        day.held_ssn_index = day.held_last_name = None
        attached += 1
    session.flush()
    return attached


def document_reviewed(session: Session, event: DocumentReviewed) -> uuid.UUID:
    fact = session.get(DocumentFact, event.document_id)
    if fact is None:
        fact = DocumentFact(document_id=event.document_id, person_id=event.person_id)
        session.add(fact)
    fact.document_type = event.document_type
    if event.decision == "approved":
        fact.status = "approved"
        fact.approved_on = event.reviewed_on or local_day(event.occurred_at)  # the Hub's business day
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
    for question, answer in event.answers.items():
        row = session.get(Answer, (event.person_id, question[:40]))
        if row is None:
            session.add(Answer(person_id=event.person_id, question=question[:40], answer=answer))
        else:
            row.answer = answer
    return event.person_id
