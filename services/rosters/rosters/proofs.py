"""Proofs of employment (issue 11, SPEC §4 journey 5): an employer (or staff for one) proves it
employed a person in a classification from a first day. The person is listed on that
classification's training list, or their roster application starts, and the first day counts as
a work day verified by that employer (source "employer_proof").

A proof for an SSN nobody has yet is held by the SSN's keyed blind index, exactly like a payroll
record (rosters.payroll): the proof and its day wait, and become the person's when they appear
(accounts.person_registered bringing that index, with the same last name). The SSN itself is
never stored here, never logged and never echoed.
"""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.audit import as_actor
from common.contracts.rosters import (
    STATUS_LABELS,
    EmployedPeopleOut,
    EmployedPerson,
    EmploymentProofIn,
    EmploymentProofOut,
)
from common.errors import ValidationFailed
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

SOURCE = "employer_proof"
NAME_MISMATCH = "The last name does not match our record for that SSN."
HELD_LABEL = "Waiting for the person to create their account"


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
            EmploymentProof.person_id.is_(None), EmploymentProof.held_ssn_index == index)).all():
        if not _same_name(proof.last_name, last_name):
            continue
        proof.person_id, proof.held_ssn_index, proof.attached_at = person_id, None, now()
        rules = classification_or_none(catalog, proof.classification_code, today)
        if rules is None:
            continue
        events += _ensure_record(session, rules, person_id, as_actor(None), today, proof.id)
        audit.record(session, as_actor(None), "employment_proof.attached", "employment_proof", proof.id,
                     person_id=person_id, organisation=proof.organisation)
    session.flush()
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
        code = status if proof.person_id and status else "held"
        label = STATUS_LABELS.get(code, "") if code != "held" else HELD_LABEL
        people.append(EmployedPerson(
            proof_id=proof.id, first_name=proof.first_name, last_name=proof.last_name, il_number=il_number,
            classification_code=proof.classification_code,
            classification_name=rules.name if rules else proof.classification_code,
            first_day=proof.first_day, status=code, status_label=label))
    return EmployedPeopleOut(people=people)
