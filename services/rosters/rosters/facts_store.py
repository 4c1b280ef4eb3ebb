"""People's facts and records as the engine wants them, read from this service's tables in bulk
(a few queries per batch of people, never one per person)."""
from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rosters.engine import facts as engine
from rosters.models import Answer, ClassificationRecord, Completion, DocumentFact, Extension, Suspension, WorkDay

CHUNK = 500  # ids per IN (…) list: well under every database's bound-parameter limit


def chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def facts_for_people(session: Session, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, engine.Facts]:
    work = defaultdict(list)
    completions = defaultdict(list)
    documents = defaultdict(list)
    answers = defaultdict(list)
    suspensions = defaultdict(list)
    extensions = defaultdict(list)
    ids = list(dict.fromkeys(person_ids))
    for batch in chunks(ids):
        # only verified days count; pending and rejected ones change nothing until reviewed
        for pid, on, code, union, verified_on in session.execute(
                sa.select(WorkDay.person_id, WorkDay.work_date, WorkDay.classification_code,
                          WorkDay.union_contract, WorkDay.verified_on)
                .where(WorkDay.person_id.in_(batch), WorkDay.verified.is_(True))):
            work[pid].append(engine.WorkDay(on=on, classification=code, verified=True, union=bool(union),
                                            verified_on=verified_on))
        for pid, course, on, expires in session.execute(
                sa.select(Completion.person_id, Completion.course_code, Completion.completed_on,
                          Completion.expires_on).where(Completion.person_id.in_(batch))):
            completions[pid].append(engine.Completion(course=course, on=on, expires_on=expires))
        for pid, kind, approved, expires in session.execute(
                sa.select(DocumentFact.person_id, DocumentFact.document_type, DocumentFact.approved_on,
                          DocumentFact.expires_on)
                .where(DocumentFact.person_id.in_(batch), DocumentFact.approved_on.is_not(None),
                       # an expired document stays a fact about the past: it was valid until then
                       DocumentFact.status.in_(("approved", "expired")))):
            documents[pid].append(engine.ApprovedDocument(type=kind, approved_on=approved, expires_on=expires))
        for pid, question, answer, on in session.execute(
                sa.select(Answer.person_id, Answer.question, Answer.answer, Answer.answered_on)
                .where(Answer.person_id.in_(batch))):
            answers[pid].append(engine.Answer(question=question, answer=bool(answer), on=on))
        for row in session.scalars(sa.select(Suspension).where(Suspension.person_id.in_(batch))):
            if row.ends_on is None or row.ends_on >= row.starts_on:  # lifted the day it began: nothing
                suspensions[row.person_id].append(engine.Suspension(
                    classification=row.classification_code, start=row.starts_on, end=row.ends_on,
                    reason=row.reason, kind=row.kind))
        for pid, code, requirement, until, decided_on in session.execute(
                sa.select(Extension.person_id, Extension.classification_code, Extension.requirement,
                          Extension.until, Extension.decided_on)
                .where(Extension.person_id.in_(batch), Extension.status == "approved")):
            extensions[pid].append(engine.Extension(classification=code, requirement=requirement, until=until,
                                                    granted_on=decided_on))
    return {pid: engine.Facts(work_days=tuple(work[pid]), completions=tuple(completions[pid]),
                              documents=tuple(documents[pid]), answers=tuple(answers[pid]),
                              suspensions=tuple(suspensions[pid]), extensions=tuple(extensions[pid]))
            for pid in ids}


def facts_for(session: Session, person_id: uuid.UUID) -> engine.Facts:
    return facts_for_people(session, [person_id])[person_id]


def records_of_people(session: Session, person_ids: Iterable[uuid.UUID], open_only: bool = True,
                      for_update: bool = False) -> dict[uuid.UUID, list[ClassificationRecord]]:
    found = defaultdict(list)
    for batch in chunks(list(dict.fromkeys(person_ids))):
        query = (sa.select(ClassificationRecord).where(ClassificationRecord.person_id.in_(batch))
                 .order_by(ClassificationRecord.applied_on, ClassificationRecord.classification_code))
        if open_only:
            query = query.where(ClassificationRecord.closed_on.is_(None))
        if for_update and session.get_bind().dialect.name == "postgresql":
            # two workers re-evaluating one person (a payroll batch and a document review) take
            # turns, so neither publishes a transition the other already published
            query = query.with_for_update().execution_options(populate_existing=True)
        for record in session.scalars(query):
            found[record.person_id].append(record)
    return found


def as_engine_record(record: ClassificationRecord) -> engine.Record:
    return engine.Record(classification=record.classification_code, applied_on=record.applied_on,
                         placed_on=record.placed_on, group_started_on=record.group_started_on,
                         closed_on=record.closed_on)
