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


def _of_people(column, batch: list, span: tuple | None):
    """`column` names one of these people: a range when the batch is every person in it (the
    full sweep: an index range scan instead of a long IN list), else the list itself."""
    if span is not None:
        return column.between(*span)
    return column.in_(batch)


def _pairs(pairs: list[tuple[uuid.UUID, str]], postgresql: bool):
    """(work_days.person_id, classification_code) is one of these pairs."""
    if postgresql:  # two array parameters, not two per pair
        return sa.text("(work_days.person_id, work_days.classification_code) IN "
                       "(SELECT * FROM unnest(CAST(:pair_people AS uuid[]), CAST(:pair_codes AS varchar[])))"
                       ).bindparams(pair_people=[str(p) for p, _ in pairs], pair_codes=[c for _, c in pairs])
    return sa.tuple_(WorkDay.person_id, WorkDay.classification_code).in_(pairs)


def _first_counted():
    # a day counts from its verification, if later than the day worked (engine.WorkDay.counts_from)
    return sa.func.min(sa.case((WorkDay.verified_on > WorkDay.work_date, WorkDay.verified_on),
                               else_=WorkDay.work_date))


def facts_for_people(session: Session, person_ids: Iterable[uuid.UUID],
                     needs: dict[uuid.UUID, dict[str, str]] | None = None,
                     span: tuple[uuid.UUID, uuid.UUID] | None = None) -> dict[uuid.UUID, engine.Facts]:
    """Each person's facts, a few set-based queries per CHUNK of people. `needs`: what of each
    person's work days to load, by classification ("days" or "first",
    rosters.engine.evaluate.work_needs); None: all of them. `span`: the lowest and highest id
    when `person_ids` is every person with an open record between them (rows of anyone else in
    the range are dropped)."""
    ids = list(dict.fromkeys(person_ids))
    postgresql = session.get_bind().dialect.name == "postgresql"
    # ids read as text and looked up: a row's uuid is not parsed (there are millions of rows)
    wanted = {str(pid): pid for pid in ids} if postgresql else {pid: pid for pid in ids}

    def person(column):
        return sa.cast(column, sa.Text) if postgresql else column

    histories = {pid: engine.WorkHistory(None if needs is None else frozenset(needs.get(pid, {})))
                 for pid in ids}
    completions = defaultdict(list)
    documents = defaultdict(list)
    answers = defaultdict(list)
    suspensions = defaultdict(list)
    extensions = defaultdict(list)
    batches = [ids] if span is not None else chunks(ids)
    for batch in batches:
        def of(column, batch=batch):
            return _of_people(column, batch, span)

        verified = (WorkDay.verified.is_(True),)
        days_of = sa.select(person(WorkDay.person_id), WorkDay.classification_code, WorkDay.work_date,
                            WorkDay.verified_on, WorkDay.union_contract)
        if needs is None:
            # only verified days count; pending and rejected ones change nothing until reviewed
            day_rows = session.execute(days_of.where(of(WorkDay.person_id), *verified))
            first_rows = ()
        else:
            in_batch = [pid for pid in batch if pid in needs] if span is None else list(needs)
            days = [(pid, code) for pid in in_batch for code, need in needs[pid].items() if need == "days"]
            firsts = [(pid, code) for pid in in_batch for code, need in needs[pid].items() if need == "first"]
            day_rows = [row for part in chunks(days) for row in session.execute(
                days_of.where(_pairs(part, postgresql), *verified))]
            first_rows = [row for part in chunks(firsts) for row in session.execute(
                sa.select(person(WorkDay.person_id), WorkDay.classification_code, _first_counted())
                .where(_pairs(part, postgresql), *verified)
                .group_by(WorkDay.person_id, WorkDay.classification_code))]
        for key, code, on, verified_on, union in day_rows:
            pid = wanted.get(key)
            if pid is not None:
                histories[pid].add(code, on, max(on, verified_on) if verified_on else on, bool(union))
        for key, code, first in first_rows:
            histories[wanted[key]].first_only(code, first)
        for key, course, on, expires in session.execute(
                sa.select(person(Completion.person_id), Completion.course_code, Completion.completed_on,
                          Completion.expires_on).where(of(Completion.person_id))):
            pid = wanted.get(key)
            if pid is not None:
                completions[pid].append(engine.Completion(course, on, expires))
        for key, kind, approved, expires in session.execute(
                sa.select(person(DocumentFact.person_id), DocumentFact.document_type, DocumentFact.approved_on,
                          DocumentFact.expires_on)
                .where(of(DocumentFact.person_id), DocumentFact.approved_on.is_not(None),
                       # an expired document stays a fact about the past: it was valid until then
                       DocumentFact.status.in_(("approved", "expired")))):
            pid = wanted.get(key)
            if pid is not None:
                documents[pid].append(engine.ApprovedDocument(kind, approved, expires))
        for key, question, answer, on in session.execute(
                sa.select(person(Answer.person_id), Answer.question, Answer.answer, Answer.answered_on)
                .where(of(Answer.person_id))):
            pid = wanted.get(key)
            if pid is not None:
                answers[pid].append(engine.Answer(question, bool(answer), on))
        for row in session.execute(
                sa.select(person(Suspension.person_id), Suspension.classification_code, Suspension.starts_on,
                          Suspension.ends_on, Suspension.reason, Suspension.kind)
                .where(of(Suspension.person_id))):
            key, code, starts_on, ends_on, reason, kind = row
            pid = wanted.get(key)
            if pid is not None and (ends_on is None or ends_on >= starts_on):  # lifted the day it began: nothing
                suspensions[pid].append(engine.Suspension(classification=code, start=starts_on, end=ends_on,
                                                          reason=reason, kind=kind))
        for key, code, requirement, until, decided_on in session.execute(
                sa.select(person(Extension.person_id), Extension.classification_code, Extension.requirement,
                          Extension.until, Extension.decided_on)
                .where(of(Extension.person_id), Extension.status == "approved")):
            pid = wanted.get(key)
            if pid is not None:
                extensions[pid].append(engine.Extension(classification=code, requirement=requirement,
                                                        until=until, granted_on=decided_on))
    return {pid: engine.Facts(completions=tuple(completions[pid]), documents=tuple(documents[pid]),
                              answers=tuple(answers[pid]), suspensions=tuple(suspensions[pid]),
                              extensions=tuple(extensions[pid]), history=histories[pid])
            for pid in ids}


def facts_for(session: Session, person_id: uuid.UUID) -> engine.Facts:
    return facts_for_people(session, [person_id])[person_id]


def records_of_people(session: Session, person_ids: Iterable[uuid.UUID], open_only: bool = True,
                      for_update: bool = False, span: tuple[uuid.UUID, uuid.UUID] | None = None,
                      ) -> dict[uuid.UUID, list[ClassificationRecord]]:
    found = defaultdict(list)
    ids = list(dict.fromkeys(person_ids))
    wanted = set(ids)
    for batch in ([ids] if span is not None else chunks(ids)):
        query = (sa.select(ClassificationRecord).where(_of_people(ClassificationRecord.person_id, batch, span))
                 .order_by(ClassificationRecord.applied_on, ClassificationRecord.classification_code))
        if open_only:
            query = query.where(ClassificationRecord.closed_on.is_(None))
        if for_update and session.get_bind().dialect.name == "postgresql":
            # two workers re-evaluating one person (a payroll batch and a document review) take
            # turns, so neither publishes a transition the other already published
            query = query.with_for_update().execution_options(populate_existing=True)
        for record in session.scalars(query):
            if record.person_id in wanted:
                found[record.person_id].append(record)
    return found


def as_engine_record(record: ClassificationRecord) -> engine.Record:
    return engine.Record(classification=record.classification_code, applied_on=record.applied_on,
                         placed_on=record.placed_on, group_started_on=record.group_started_on,
                         closed_on=record.closed_on)


def work_needs_of(records: dict, rules_of, as_of) -> tuple[dict, dict]:
    """What evaluating these records ({person id: [ClassificationRecord]}) as of `as_of` reads of
    each person's work days (rosters.engine.evaluate.work_needs), to pass to facts_for_people:
    ({person id: {classification: "days" | "first"}}, {record id: that record's own needs}).
    `rules_of(code)`: the classification's rules, or None when the catalog cannot rule on it."""
    from rosters.engine.evaluate import work_needs

    needs: dict[uuid.UUID, dict[str, str]] = {}
    per_record: dict[uuid.UUID, dict[str, str]] = {}
    for person_id, person_records in records.items():
        mine = needs[person_id] = {}
        for record in person_records:
            rules = rules_of(record.classification_code)
            if rules is None:
                continue
            per_record[record.id] = wanted = work_needs(as_engine_record(record), rules, as_of)
            for code, need in wanted.items():
                if mine.get(code) != "days":
                    mine[code] = need
    return needs, per_record

