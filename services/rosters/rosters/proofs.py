"""Proofs of employment (issue 11, SPEC §4 journey 5): an employer (or staff for one) proves it
employed a person in a classification from a first day. The person is listed on that
classification's training list, or their roster application starts, and the first day counts as
a work day verified by that employer (source "employer_proof").

A proof for an SSN nobody has yet is held by the SSN's keyed blind index, exactly like a payroll
record (rosters.payroll): the proof and its day wait, and become the person's when they appear
(accounts.person_registered bringing that index, with the same last name). The SSN itself is
never stored here, never logged and never echoed.

A proof whose last name differs from the registering person's stays held for staff, who list
the held proofs and attach one to that person (as registration would have) or dismiss it with a
reason (kept, never attached); one decision per proof, a second is a Conflict.
"""
from __future__ import annotations

import math
import uuid
from collections import Counter
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.audit import as_actor
from common.clock import local_day
from common.contracts.rosters import (
    PAGE_SIZE,
    STATUS_LABELS,
    AttachProofIn,
    DismissProofIn,
    EmployedPeopleOut,
    EmployedPerson,
    EmploymentProofIn,
    EmploymentProofOut,
    HeldProof,
    HeldProofDecisionOut,
    HeldProofsFilters,
    HeldProofsOut,
    SsnHolder,
)
from common.errors import Conflict, NotFound, ValidationFailed
from common.events import Event
from common.events.rosters import ApplicationStarted
from common.identity import ssn_index
from rosters.clock import now
from rosters.models import ClassificationRecord, EmploymentProof, Person, WorkDay

# rosters.models imports this module (for the table), so the domain modules that import the
# models are imported where they are used, not here


def classification_or_none(catalog, code: str, on):
    from rosters.rulebook import classification_or_none as lookup

    return lookup(catalog, code, on)


def dedupe_key(owner: str, work_date: date, employer: str, code: str) -> str:
    from rosters.work import dedupe_key as key

    return key(owner, work_date, employer, code)


def attach_day(session: Session, day, person_id: uuid.UUID) -> bool:
    from rosters.facts_events import attach_day as attach

    return attach(session, day, person_id)


SOURCE = "employer_proof"
NAME_MISMATCH = "The last name does not match our record for that SSN."
HELD_LABEL = "Waiting for the person to create their account"
DISMISSED_LABEL = "Not accepted by Contract Services"


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _rules(catalog, code: str, today: date):
    rules = classification_or_none(catalog, code, today)
    if rules is None:
        raise ValidationFailed(f"There is no classification {code!r}. See GET /api/v1/classifications.",
                               {"fields": {"classification_code": "unknown classification"}})
    if rules.entry == "advancement_only":
        raise ValidationFailed(f"{rules.name} is reached by advancing from the group below; prove "
                               "employment in the entry group instead.",
                               {"fields": {"classification_code": "reached by advancement only"}})
    return rules


def _ensure_record(session: Session, rules, person_id: uuid.UUID, actor, today: date,
                   proof_id: uuid.UUID) -> list[Event]:
    """The person's record in the classification, started now unless they have one."""
    existing = session.scalar(sa.select(ClassificationRecord.id).where(
        ClassificationRecord.person_id == person_id, ClassificationRecord.classification_code == rules.code))
    if existing is not None:
        return []
    record = ClassificationRecord(
        id=uuid.uuid4(), person_id=person_id, classification_code=rules.code, local=rules.local,
        applied_on=today, status="", status_as_of=today, updated_at=now())
    session.add(record)
    session.flush()
    audit.record(session, actor, "application.started", "classification_record", record.id,
                 person_id=person_id, classification_code=rules.code, employment_proof_id=proof_id)
    return [ApplicationStarted(person_id=person_id, classification_code=rules.code, local=rules.local,
                               roster=rules.roster)]


def _add_day(session: Session, owner: str, person_id, held_index, held_last_name, proof, actor,
             today: date) -> bool:
    """The first day, verified by the employer's proof; False when that day is on file already."""
    key = dedupe_key(owner, proof.first_day, proof.employer, proof.classification_code)
    if session.scalar(sa.select(WorkDay.id).where(WorkDay.dedupe_key == key)) is not None:
        return False
    session.add(WorkDay(
        id=uuid.uuid4(), person_id=person_id, held_ssn_index=held_index, held_last_name=held_last_name,
        classification_code=proof.classification_code, work_date=proof.first_day, employer=proof.employer,
        production=None, hours=None, union_contract=True, source=SOURCE, verified=True,
        verified_by=as_actor(actor).account_id, verified_at=now(), verified_on=today,
        rejected_reason=None, proof_document_id=None, payroll_client_id=None, dedupe_key=key,
        created_at=now()))
    session.flush()
    return True


def _status_of(session: Session, person_id, code: str) -> str | None:
    return session.scalar(sa.select(ClassificationRecord.status).where(
        ClassificationRecord.person_id == person_id, ClassificationRecord.classification_code == code))


def submit(session: Session, catalog, data: EmploymentProofIn, actor, organisation: str | None,
           today: date, ssn_key=None) -> tuple[EmploymentProofOut, list[Event]]:
    """Store the proof; the person's record and day at once when we know them, else held."""
    rules = _rules(catalog, data.classification_code, today)
    employer = " ".join(data.employer.split())
    index = ssn_index(data.ssn, ssn_key)
    person = session.scalar(sa.select(Person).where(Person.ssn_index == index))
    if person is not None and not _same_name(person.last_name, data.last_name):
        raise ValidationFailed(NAME_MISMATCH, {"fields": {"last_name": NAME_MISMATCH}})
    proof = EmploymentProof(
        id=uuid.uuid4(), person_id=person.person_id if person else None,
        held_ssn_index=None if person else index, first_name=data.first_name, last_name=data.last_name,
        employer=employer, organisation=organisation or None, submitted_by=as_actor(actor).account_id,
        classification_code=rules.code, first_day=data.first_day, created_at=now(),
        attached_at=now() if person else None)
    session.add(proof)
    session.flush()
    events: list[Event] = []
    if person is not None:
        events += _ensure_record(session, rules, person.person_id, actor, today, proof.id)
        recorded = _add_day(session, str(person.person_id), person.person_id, None, None, proof, actor, today)
        if recorded:
            from rosters.work import recorded_events

            events += recorded_events(Counter({(person.person_id, rules.code): 1}))
        from rosters.records import Reevaluation

        reevaluation = Reevaluation(session, catalog, today, actor)
        reevaluation.people([person.person_id])
        events += reevaluation.events
    else:
        recorded = _add_day(session, f"held:{index}", None, index, data.last_name, proof, actor, today)
    audit.record(session, actor, "employment_proof.submitted", "employment_proof", proof.id,
                 organisation=organisation, employer=employer, classification_code=rules.code,
                 first_day=data.first_day, held=person is None,
                 person_id=person.person_id if person else None)
    status = _status_of(session, person.person_id, rules.code) if person else None
    if person is not None:
        message = (f"{data.first_name} {data.last_name} is listed in {rules.name}, and "
                   f"{data.first_day:%m/%d/%Y} counts as a verified work day from {employer}.")
    else:
        message = (f"Thank you. {data.first_name} {data.last_name} has no Hub account yet: the proof is held "
                   f"and becomes theirs, with the work day, when they create an account with the same "
                   f"SSN and last name.")
    out = EmploymentProofOut(
        id=proof.id, status="attached" if person else "held", first_name=data.first_name,
        last_name=data.last_name, il_number=person.il_number if person else None, employer=employer,
        classification_code=rules.code, classification_name=rules.name, first_day=data.first_day,
        record_status=status or None, record_status_label=STATUS_LABELS.get(status or "", None),
        day_recorded=recorded, message=message)
    return out, events


def attach_held(session: Session, catalog, person_id: uuid.UUID, index: str | None, last_name: str,
                today: date) -> list[Event]:
    """Held proofs for this SSN index become the person's (their records start); the held days
    themselves are attached by facts_events.attach_held_days. A last name that differs stays held
    for staff to look at. Idempotent: a proof attached once is not held any more."""
    if not index:
        return []
    events: list[Event] = []
    for proof in session.scalars(sa.select(EmploymentProof).where(
            EmploymentProof.person_id.is_(None), EmploymentProof.held_ssn_index == index,
            EmploymentProof.dismissed_at.is_(None))).all():
        if not _same_name(proof.last_name, last_name):
            continue
        proof.person_id, proof.held_ssn_index, proof.attached_at = person_id, None, now()
        events += _take(session, catalog, proof, person_id, as_actor(None), today)
    session.flush()
    return events


def _take(session: Session, catalog, proof: EmploymentProof, person_id: uuid.UUID, actor, today: date,
          **details) -> list[Event]:
    """A proof just became the person's: their record in its classification starts unless they
    have one, audited. The registration's attach and staff's both come through here."""
    rules = classification_or_none(catalog, proof.classification_code, today)
    if rules is None:
        return []
    events = _ensure_record(session, rules, person_id, actor, today, proof.id)
    audit.record(session, actor, "employment_proof.attached", "employment_proof", proof.id,
                 person_id=person_id, organisation=proof.organisation, **details)
    return events


def employed_people(session: Session, catalog, actor, organisation: str | None, today: date,
                    limit: int = 500) -> EmployedPeopleOut:
    """The people this employer proved it employed: by its organisation when it has one, else by
    the login that submitted. Names, IL numbers, classifications and statuses only."""
    query = (sa.select(EmploymentProof, Person.il_number, ClassificationRecord.status)
             .outerjoin(Person, Person.person_id == EmploymentProof.person_id)
             .outerjoin(ClassificationRecord, sa.and_(
                 ClassificationRecord.person_id == EmploymentProof.person_id,
                 ClassificationRecord.classification_code == EmploymentProof.classification_code))
             .order_by(EmploymentProof.created_at.desc()).limit(limit))
    if organisation:
        query = query.where(sa.func.lower(EmploymentProof.organisation) == organisation.casefold())
    else:
        query = query.where(EmploymentProof.submitted_by == as_actor(actor).account_id)
    people = []
    for proof, il_number, status in session.execute(query).tuples():
        rules = classification_or_none(catalog, proof.classification_code, today)
        code = status if proof.person_id and status else "dismissed" if proof.dismissed_at else "held"
        label = {"held": HELD_LABEL, "dismissed": DISMISSED_LABEL}.get(code) or STATUS_LABELS.get(code, "")
        people.append(EmployedPerson(
            proof_id=proof.id, first_name=proof.first_name, last_name=proof.last_name, il_number=il_number,
            classification_code=proof.classification_code,
            classification_name=rules.name if rules else proof.classification_code,
            first_day=proof.first_day, status=code, status_label=label))
    return EmployedPeopleOut(people=people)


# --- staff: proofs still held (a last name that differed, or nobody with the SSN yet) ---------------

HELD_DAY_DISMISSED = "The proof of employment for this day was not accepted by Contract Services."


def _waiting():
    return sa.and_(EmploymentProof.person_id.is_(None), EmploymentProof.held_ssn_index.is_not(None))


def held_proofs(session: Session, catalog, filters: HeldProofsFilters, today: date) -> HeldProofsOut:
    """Held proofs, oldest first, 25 a page (filters.held false: the dismissed ones), each with the
    person who registered with its SSN, if anyone did. Names and IL numbers only: never the SSN."""
    kept = EmploymentProof.dismissed_at.is_(None) if filters.held else EmploymentProof.dismissed_at.is_not(None)
    where = sa.and_(_waiting(), kept)
    total = session.scalar(sa.select(sa.func.count()).select_from(EmploymentProof).where(where))
    rows = session.execute(
        sa.select(EmploymentProof, Person.person_id, Person.il_number, Person.first_name, Person.last_name)
        .outerjoin(Person, Person.ssn_index == EmploymentProof.held_ssn_index)
        .where(where).order_by(EmploymentProof.created_at, EmploymentProof.id)
        .limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)).tuples().all()
    proofs = []
    for proof, person_id, il_number, first_name, last_name in rows:
        rules = classification_or_none(catalog, proof.classification_code, today)
        submitted_on = local_day(proof.created_at)
        holder = (SsnHolder(person_id=person_id, il_number=il_number, first_name=first_name, last_name=last_name)
                  if person_id else None)
        proofs.append(HeldProof(
            id=proof.id, first_name=proof.first_name, last_name=proof.last_name, employer=proof.employer,
            organisation=proof.organisation, classification_code=proof.classification_code,
            classification_name=rules.name if rules else proof.classification_code, first_day=proof.first_day,
            submitted_on=submitted_on, age_days=max((today - submitted_on).days, 0),
            status="dismissed" if proof.dismissed_at else "held", registered_person=holder,
            dismissed_on=local_day(proof.dismissed_at) if proof.dismissed_at else None,
            dismissed_reason=proof.dismissed_reason))
    return HeldProofsOut(proofs=proofs, total=total, page=filters.page, page_size=PAGE_SIZE,
                         pages=math.ceil(total / PAGE_SIZE))


def _held(session: Session, proof_id: uuid.UUID) -> EmploymentProof:
    proof = session.get(EmploymentProof, proof_id)
    if proof is None or (proof.person_id is None and proof.held_ssn_index is None):
        raise NotFound("No such proof of employment.")
    if proof.person_id is not None:
        raise Conflict("This proof of employment is attached to a person already.")
    if proof.dismissed_at is not None:
        raise Conflict("This proof of employment was dismissed already.")
    return proof


def _claim(session: Session, proof_id: uuid.UUID, **values) -> None:
    """The one decision on a held proof. The row changes only while it is still held and not
    dismissed, so of two staff deciding at once the second changes nothing and is told so."""
    done = session.execute(
        sa.update(EmploymentProof)
        .where(EmploymentProof.id == proof_id, _waiting(), EmploymentProof.dismissed_at.is_(None))
        .values(**values).execution_options(synchronize_session="evaluate"))
    if done.rowcount != 1:
        raise Conflict("Someone decided this proof of employment a moment ago; reload to see what.")


def _held_day(session: Session, proof: EmploymentProof, index: str) -> WorkDay | None:
    key = dedupe_key(f"held:{index}", proof.first_day, proof.employer, proof.classification_code)
    return session.scalar(sa.select(WorkDay).where(WorkDay.dedupe_key == key, WorkDay.person_id.is_(None)))


def attach_by_staff(session: Session, catalog, proof_id: uuid.UUID, data: AttachProofIn, actor,
                    today: date) -> tuple[HeldProofDecisionOut, list[Event]]:
    """Staff confirm that the person who registered with the proof's SSN under another last name
    is the one on the proof: it becomes theirs as it would have at registration (their record
    starts, audited), its held day with it, and their records are evaluated again."""
    proof = _held(session, proof_id)
    index = proof.held_ssn_index
    person = session.get(Person, data.person_id)
    if person is None or person.ssn_index != index:
        raise ValidationFailed("That person did not register with the SSN on this proof.",
                               {"fields": {"person_id": "not the person with this SSN"}})
    rules = classification_or_none(catalog, proof.classification_code, today)
    if rules is None:
        raise ValidationFailed(f"{proof.classification_code} is no longer in the catalog: the proof cannot "
                               "start a record.", {"fields": {"classification_code": "unknown classification"}})
    _claim(session, proof.id, person_id=person.person_id, held_ssn_index=None, attached_at=now())
    events = _take(session, catalog, proof, person.person_id, actor, today, confirmed_by_staff=True)
    day = _held_day(session, proof, index)
    day_attached = day is not None and attach_day(session, day, person.person_id)
    session.flush()
    from rosters.records import Reevaluation

    reevaluation = Reevaluation(session, catalog, today, actor)
    reevaluation.people([person.person_id])
    events += reevaluation.events
    status = _status_of(session, person.person_id, rules.code)
    out = HeldProofDecisionOut(
        id=proof.id, status="attached", person_id=person.person_id, il_number=person.il_number,
        first_name=person.first_name, last_name=person.last_name, classification_code=rules.code,
        record_status=status, record_status_label=STATUS_LABELS.get(status or ""), day_attached=day_attached,
        message=f"The proof is now {person.first_name} {person.last_name}'s (IL# {person.il_number}), for "
                f"{rules.name}" + (f"; {proof.first_day:%m/%d/%Y} counts as a verified work day."
                                   if day_attached else "."))
    return out, events


def dismiss_by_staff(session: Session, proof_id: uuid.UUID, data: DismissProofIn, actor) -> HeldProofDecisionOut:
    """Set a held proof aside with a reason: it is kept, no longer waits for anyone, and never
    attaches; its held day stops counting as verified (nobody's yet, so nobody's status changes)."""
    proof = _held(session, proof_id)
    index = proof.held_ssn_index
    who = as_actor(actor).account_id
    _claim(session, proof.id, dismissed_at=now(), dismissed_by=who, dismissed_reason=data.reason)
    day = _held_day(session, proof, index)
    if day is not None and day.source == SOURCE and day.verified:
        day.verified, day.rejected_reason, day.verified_on = False, HELD_DAY_DISMISSED, None
        day.verified_by, day.verified_at = who, now()
    session.flush()
    audit.record(session, actor, "employment_proof.dismissed", "employment_proof", proof.id,
                 reason=data.reason, organisation=proof.organisation,
                 work_day_id=day.id if day is not None else None)
    return HeldProofDecisionOut(id=proof.id, status="dismissed", classification_code=proof.classification_code,
                                message=f"The proof for {proof.first_name} {proof.last_name} is dismissed; it is "
                                        "kept, and no longer waits for anyone.")
