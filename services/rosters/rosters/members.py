# ruff: noqa: I001 (rosters.models is imported first: see below)
"""A local's members and applicants, for its union business representatives and staff (issue 11,
journey 7): the people holding an open classification record of one of the local's
classifications, with each record's status, placement date and next deadline; a compliance
snapshot of the local; and the CSV export's rows (audited).

Scoping is absolute: a rep sees only the locals on their login (`viewer.locals`); anyone else,
and a rep asking for another local, gets "No such local." — never a 403 that would tell the
local exists. Staff see every local. What is shown is what `PersonView.MEMBER` allows: name, IL
number and classification records — never an SSN, a birth date, contact details or documents.

Queries follow the public search (rosters.search): statuses are the cached
`classification_records.status`; names match as case-insensitive prefixes through the
`lower(name)` indexes; a page is a handful of small queries. Next deadlines are computed by
evaluating the page's records only (25 people), as the sweep's deadline warnings do.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.authz import Principal, as_principal
from common.contracts.rosters import (
    APPLICANT_STATUSES,
    PAGE_SIZE,
    REP_STATUSES,
    STATUS_LABELS,
    DeadlineSoon,
    LocalMember,
    LocalMembersFilters,
    LocalMembersOut,
    LocalSummaryOut,
    MemberClassification,
    WaitingOn,
)
from common.errors import NotFound
# models first: it imports modules that import it back (rosters.proofs)
from rosters.models import ClassificationRecord, Person
from rosters.engine.evaluate import evaluate
from rosters.facts_store import as_engine_record, chunks, facts_for_people, work_needs_of
from rosters.rulebook import classification_or_none
from rosters.search import classification_names, name_prefix

NO_SUCH_LOCAL = "No such local."
APPROACHING_WITHIN = 30    # days: the snapshot's "approaching a deadline"
APPROACHING_SHOWN = 10
CSV_COLUMNS = ("il_number", "last_name", "first_name", "classification", "status", "placed_on",
               "next_deadline")
_IL_NUMBER = re.compile(r"^\d{3,10}$")


# --- who may see which local -----------------------------------------------------------------------

def scoped_local(catalog, local: str, viewer) -> str:
    """The local's code if the viewer may see it; NotFound otherwise (also for locals that do
    not exist, so a rep cannot tell another local's existence from a refusal)."""
    principal: Principal = as_principal(viewer or {"roles": []})
    local = (local or "").strip()
    if not local or len(local) > 20:
        raise NotFound(NO_SUCH_LOCAL)
    if principal.is_staff:
        pass
    elif principal.has("union_rep") and local in set(principal.locals):
        pass
    else:
        raise NotFound(NO_SUCH_LOCAL)
    try:
        catalog.local(local)
    except Exception:  # the loader's NotFound: not a local of the catalog
        raise NotFound(NO_SUCH_LOCAL) from None
    return local


# --- the query -----------------------------------------------------------------------------------

def _open_records(local: str):
    return sa.and_(ClassificationRecord.local == local, ClassificationRecord.closed_on.is_(None),
                   ClassificationRecord.status.in_(REP_STATUSES))


def _record_conditions(local: str, filters: LocalMembersFilters) -> list:
    conditions = [_open_records(local)]
    if filters.status:
        conditions.append(ClassificationRecord.status == filters.status)
    if filters.classification:
        conditions.append(ClassificationRecord.classification_code == filters.classification)
    return conditions


def _person_conditions(q: str | None) -> list:
    """`q`: an IL number (digits), "last, first", or one name prefix (last or first name)."""
    if not q:
        return []
    if _IL_NUMBER.match(q):
        return [Person.il_number == q]
    if "," in q:
        last, _, first = (part.strip() for part in q.partition(","))
        conditions = name_prefix(Person.last_name, last) if last else []
        if first:
            conditions += name_prefix(Person.first_name, first, indexed=not last)
        return conditions
    words = q.split()
    if len(words) >= 2:  # "john doe": first then last
        return [*name_prefix(Person.last_name, words[-1]),
                *name_prefix(Person.first_name, " ".join(words[:-1]), indexed=False)]
    return [sa.or_(sa.and_(*name_prefix(Person.last_name, q)), sa.and_(*name_prefix(Person.first_name, q)))]


def _people_query(local: str, filters: LocalMembersFilters):
    held = Person.person_id.in_(sa.select(ClassificationRecord.person_id)
                                .where(*_record_conditions(local, filters)))
    return [held, *_person_conditions(filters.q)]


def _ordered(query):
    return query.order_by(sa.func.lower(Person.last_name), sa.func.lower(Person.first_name), Person.il_number)


def _records_for(session: Session, local: str, filters: LocalMembersFilters, ids: list) -> dict:
    found: dict = {}
    for batch in chunks(ids):
        for record in session.scalars(sa.select(ClassificationRecord).where(
                ClassificationRecord.person_id.in_(batch), *_record_conditions(local, filters))
                .order_by(ClassificationRecord.classification_code)):
            found.setdefault(record.person_id, []).append(record)
    return found


# --- deadlines, from the engine ------------------------------------------------------------------

def _evaluations(session: Session, catalog, records_by_person: dict, today: date) -> dict:
    """{record id: Evaluation} of these records as of today (records the catalog cannot rule on
    are left out and fall back to their cached dates). Only the work days the evaluations read
    are loaded, as in the sweep: a placed member's three years of days are not."""
    known: dict = {}

    def rules_of(code: str):
        if code not in known:
            known[code] = classification_or_none(catalog, code, today)
        return known[code]

    needs, _ = work_needs_of(records_by_person, rules_of, today)
    facts = facts_for_people(session, list(records_by_person), needs=needs)
    out = {}
    for person_id, records in records_by_person.items():
        for record in records:
            rules = rules_of(record.classification_code)
            if rules is None:
                continue
            out[record.id] = evaluate(as_engine_record(record), rules, facts[person_id], today)
    return out


def next_deadline(record: ClassificationRecord, result, today: date) -> date | None:
    """The record's earliest due date that still matters: a requirement's due date ahead (or
    passed and still unmet), or the day before the record lapses — what the sweep warns of."""
    candidates = []
    if result is not None:
        candidates += [row.due_on for row in result.rows
                       if row.due_on and (row.due_on >= today or row.state == "unmet")]
        lapses_on = result.lapses_on
    else:
        lapses_on = record.lapses_on
    if lapses_on:
        candidates.append(lapses_on - timedelta(days=1))
    if not candidates and record.lapses_on and record.lapses_on > today:
        candidates.append(record.lapses_on - timedelta(days=1))  # the sweep's cached answer
    return min(candidates, default=None)


def _member_classifications(records, evaluations, names, today) -> list[MemberClassification]:
    return [MemberClassification(
        code=r.classification_code, name=names.get(r.classification_code, r.classification_code),
        status=r.status, status_label=STATUS_LABELS.get(r.status, r.status), applied_on=r.applied_on,
        placed_on=r.placed_on, next_deadline=next_deadline(r, evaluations.get(r.id), today))
        for r in records]


# --- the list, the export, the snapshot ----------------------------------------------------------

def local_members(session: Session, catalog, local: str, filters: LocalMembersFilters, viewer,
                  today: date) -> LocalMembersOut:
    local = scoped_local(catalog, local, viewer)
    conditions = _people_query(local, filters)
    total = session.scalar(sa.select(sa.func.count()).select_from(Person).where(*conditions))
    people = session.execute(_ordered(
        sa.select(Person.person_id, Person.il_number, Person.first_name, Person.last_name).where(*conditions))
        .limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)).all()
    records = _records_for(session, local, filters, [p.person_id for p in people])
    evaluations = _evaluations(session, catalog, records, today)
    names = classification_names(session, today)
    members = [LocalMember(il_number=p.il_number, first_name=p.first_name, last_name=p.last_name,
                           classifications=_member_classifications(records.get(p.person_id, []),
                                                                   evaluations, names, today))
               for p in people]
    return LocalMembersOut(local=local, members=members, total=total, page=filters.page,
                           page_size=PAGE_SIZE, pages=math.ceil(total / PAGE_SIZE))


def export_rows(session: Session, catalog, local: str, filters: LocalMembersFilters, viewer,
                today: date) -> list[dict]:
    """Every matching record (all pages), one row per person and classification, in name order;
    the export is audited in the caller's transaction."""
    local = scoped_local(catalog, local, viewer)
    people = session.execute(_ordered(
        sa.select(Person.person_id, Person.il_number, Person.first_name, Person.last_name)
        .where(*_people_query(local, filters)))).all()
    rows: list[dict] = []
    for batch in chunks(people):
        records = _records_for(session, local, filters, [p.person_id for p in batch])
        evaluations = _evaluations(session, catalog, records, today)
        for p in batch:
            for r in records.get(p.person_id, []):
                deadline = next_deadline(r, evaluations.get(r.id), today)
                rows.append({"il_number": p.il_number, "last_name": p.last_name, "first_name": p.first_name,
                             "classification": r.classification_code, "status": r.status,
                             "placed_on": r.placed_on.isoformat() if r.placed_on else "",
                             "next_deadline": deadline.isoformat() if deadline else ""})
    principal = as_principal(viewer)
    audit.record(session, principal.actor(), "members.exported", "local", local,
                 filters=filters.model_dump(exclude={"page"}), rows=len(rows))
    return rows


def local_summary(session: Session, catalog, local: str, viewer, today: date) -> LocalSummaryOut:
    local = scoped_local(catalog, local, viewer)
    open_records = _open_records(local)
    counts = {status: 0 for status in REP_STATUSES}
    for status, n in session.execute(sa.select(ClassificationRecord.status, sa.func.count())
                                     .where(open_records).group_by(ClassificationRecord.status)):
        counts[status] = n
    people = session.scalar(sa.select(sa.func.count(sa.distinct(ClassificationRecord.person_id)))
                            .where(open_records)) or 0

    # approaching: what the engine flagged, and records whose cached lapse date is near
    horizon = today + timedelta(days=APPROACHING_WITHIN)
    soon = session.scalars(sa.select(ClassificationRecord).where(
        open_records, sa.or_(ClassificationRecord.status == "approaching_deadline",
                             sa.and_(ClassificationRecord.lapses_on.is_not(None),
                                     ClassificationRecord.lapses_on <= horizon + timedelta(days=1)))))
    soon = list(soon)
    by_person: dict = {}
    for r in soon:
        by_person.setdefault(r.person_id, []).append(r)
    evaluations = _evaluations(session, catalog, by_person, today) if by_person else {}
    approaching = []
    for r in soon:
        deadline = next_deadline(r, evaluations.get(r.id), today)
        if deadline is None or deadline > horizon:
            continue
        approaching.append((deadline, r))
    approaching.sort(key=lambda item: (item[0], item[1].classification_code))
    shown = approaching[:APPROACHING_SHOWN]
    names = {p.person_id: p for p in session.execute(
        sa.select(Person.person_id, Person.il_number, Person.first_name, Person.last_name)
        .where(Person.person_id.in_({r.person_id for _, r in shown}))).all()} if shown else {}

    # applicants waiting: the application requirements the engine finds not yet met
    waiting: Counter = Counter()
    applicant_ids = session.scalars(sa.select(ClassificationRecord.person_id).distinct().where(
        open_records, ClassificationRecord.status.in_(APPLICANT_STATUSES))).all()
    for batch in chunks(applicant_ids):
        records = _records_for(session, local, LocalMembersFilters(), batch)
        records = {pid: [r for r in rs if r.status in APPLICANT_STATUSES] for pid, rs in records.items()}
        for result in _evaluations(session, catalog, records, today).values():
            for label in {row.label for row in result.rows if row.state != "met"}:
                waiting[label] += 1

    return LocalSummaryOut(
        local=local, as_of=today, people=people, counts=counts,
        approaching=[DeadlineSoon(il_number=names[r.person_id].il_number if r.person_id in names else None,
                                  first_name=names[r.person_id].first_name if r.person_id in names else "",
                                  last_name=names[r.person_id].last_name if r.person_id in names else "",
                                  code=r.classification_code, status=r.status, next_deadline=deadline)
                     for deadline, r in shown],
        approaching_total=len(approaching), within_days=APPROACHING_WITHIN,
        waiting_on=[WaitingOn(requirement=label, applicants=n)
                    for label, n in sorted(waiting.items(), key=lambda item: (-item[1], item[0]))])
