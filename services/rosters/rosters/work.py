"""Work experience: days an Industry Professional submits with proof (pending until staff verify
them), days staff enter (verified), staff review, and the Work Experience tab."""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.audit import as_actor
from common.contracts.rosters import (
    RecordWorkDaysIn,
    ReviewWorkDayIn,
    SubmitWorkDaysIn,
    WorkDayIn,
    WorkDayOut,
    WorkDaysSubmittedOut,
    WorkExperienceOut,
)
from common.errors import NotFound, ValidationFailed
from common.events import Event
from common.events.rosters import WorkDaysRecorded
from rosters.clock import now
from rosters.facts_store import chunks
from rosters.models import Person, WorkDay
from rosters.records import Reevaluation

MAX_LISTED = 1000


def dedupe_key(owner: str, work_date: date, employer: str, code: str) -> str:
    """The same day for the same employer in the same classification is one day, whoever
    reports it (payroll, the person, staff)."""
    return f"{owner}|{work_date.isoformat()}|{' '.join(employer.split()).casefold()}|{code}"


def existing_keys(session: Session, keys) -> set[str]:
    found: set[str] = set()
    for batch in chunks(list(keys)):
        found.update(session.scalars(sa.select(WorkDay.dedupe_key).where(WorkDay.dedupe_key.in_(batch))))
    return found


def known_codes(catalog, today: date) -> set[str]:
    return {c.code for c in catalog.all(today)}


def day_out(day: WorkDay) -> WorkDayOut:
    return WorkDayOut(id=day.id, work_date=day.work_date, classification_code=day.classification_code,
                      employer=day.employer, production=day.production, hours=day.hours,
                      source=day.source, verified=day.verified, rejected_reason=day.rejected_reason)


def _check_days(days: list[WorkDayIn], codes: set[str], today: date) -> None:
    problems = {}
    for i, day in enumerate(days):
        if day.classification_code.upper() not in codes:
            problems[f"days.{i}.classification_code"] = (f"There is no classification "
                                                          f"{day.classification_code!r}.")
        if day.work_date > today:
            problems[f"days.{i}.work_date"] = "A work day cannot be in the future."
    if problems:
        raise ValidationFailed("Please correct: " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                               {"fields": problems})


def _add_days(session: Session, person_id: uuid.UUID, days: list[WorkDayIn], *, source: str,
              verified: bool, actor, today: date, proof_document_id=None) -> tuple[list[WorkDay], int]:
    """Store the days not already on file; returns (stored, duplicates)."""
    wanted: dict[str, WorkDayIn] = {}
    for day in days:
        wanted.setdefault(dedupe_key(str(person_id), day.work_date, day.employer,
                                     day.classification_code.upper()), day)
    on_file = existing_keys(session, wanted)
    stored = []
    for key, day in wanted.items():
        if key in on_file:
            continue
        row = WorkDay(id=uuid.uuid4(), person_id=person_id, classification_code=day.classification_code.upper(),
                      work_date=day.work_date, employer=' '.join(day.employer.split()),
                      production=day.production or None, hours=day.hours, union_contract=day.union,
                      source=source, verified=verified, proof_document_id=proof_document_id,
                      dedupe_key=key, created_at=now())
        if verified:
            row.verified_by, row.verified_at = as_actor(actor).account_id, now()
            row.verified_on = today
        session.add(row)
        stored.append(row)
    return stored, len(days) - len(stored)


def _require_person(session: Session, person_id: uuid.UUID) -> None:
    if session.get(Person, person_id) is None:
        raise NotFound("No such person.")


def submit_days(session: Session, catalog, person_id: uuid.UUID, data: SubmitWorkDaysIn, actor,
                today: date, known: dict | None = None) -> WorkDaysSubmittedOut:
    """Days the person submits with proof: pending until staff verify them (no events yet)."""
    from rosters.applications import ensure_person

    ensure_person(session, person_id, known)
    _check_days(data.days, known_codes(catalog, today), today)
    stored, duplicates = _add_days(session, person_id, data.days, source="ip_submitted", verified=False,
                                   actor=actor, today=today, proof_document_id=data.proof_document_id)
    audit.record(session, actor, "work_days.submitted", "person", person_id, days=len(stored),
                 proof_document_id=data.proof_document_id)
    return WorkDaysSubmittedOut(recorded=len(stored), duplicates=duplicates,
                                days=[day_out(d) for d in stored])


def recorded_events(counts: Counter) -> list[Event]:
    return [WorkDaysRecorded(person_id=person_id, classification_code=code, days=days)
            for (person_id, code), days in sorted(counts.items(), key=lambda item: (str(item[0][0]), item[0][1]))]


def record_days(session: Session, catalog, data: RecordWorkDaysIn, actor,
                today: date) -> tuple[WorkDaysSubmittedOut, list[Event]]:
    _require_person(session, data.person_id)
    _check_days(data.days, known_codes(catalog, today), today)
    stored, duplicates = _add_days(session, data.person_id, data.days, source=data.source, verified=True,
                                   actor=actor, today=today, proof_document_id=data.proof_document_id)
    audit.record(session, actor, "work_days.recorded", "person", data.person_id, days=len(stored),
                 source=data.source)
    session.flush()
    events = recorded_events(Counter((d.person_id, d.classification_code) for d in stored))
    if stored:
        reevaluation = Reevaluation(session, catalog, today, actor)
        reevaluation.people([data.person_id])
        events += reevaluation.events
    return WorkDaysSubmittedOut(recorded=len(stored), duplicates=duplicates,
                                days=[day_out(d) for d in stored]), events


def review_day(session: Session, catalog, work_day_id: uuid.UUID, data: ReviewWorkDayIn, actor,
               today: date) -> tuple[WorkDayOut, list[Event]]:
    """Staff approve a day (it counts from today, the day it is verified) or reject it."""
    day = session.get(WorkDay, work_day_id)
    if day is None:
        raise NotFound("No such work day.")
    was_verified = day.verified
    if data.decision == "approve":
        day.verified, day.rejected_reason = True, None
        day.verified_by, day.verified_at, day.verified_on = as_actor(actor).account_id, now(), today
    else:
        if not (data.reason or "").strip():
            raise ValidationFailed("Say why the day is rejected: the person sees the reason.",
                                   {"fields": {"reason": "A reason is required to reject a day."}})
        day.verified, day.rejected_reason = False, data.reason.strip()
        day.verified_by, day.verified_at, day.verified_on = as_actor(actor).account_id, now(), None
    audit.record(session, actor, f"work_day.{data.decision}d", "work_day", day.id,
                 person_id=day.person_id, reason=data.reason)
    events: list[Event] = []
    if day.person_id is not None and was_verified != day.verified:
        session.flush()
        if day.verified:
            events += recorded_events(Counter({(day.person_id, day.classification_code): 1}))
        reevaluation = Reevaluation(session, catalog, today, actor)
        reevaluation.people([day.person_id])
        events += reevaluation.events
    return day_out(day), events


def work_experience(session: Session, person_id: uuid.UUID) -> WorkExperienceOut:
    days = session.scalars(sa.select(WorkDay).where(WorkDay.person_id == person_id)
                           .order_by(WorkDay.work_date.desc(), WorkDay.created_at.desc())
                           .limit(MAX_LISTED)).all()
    counts = dict(session.execute(
        sa.select(WorkDay.verified, sa.func.count()).where(
            WorkDay.person_id == person_id, WorkDay.rejected_reason.is_(None))
        .group_by(WorkDay.verified)).tuples().all())
    return WorkExperienceOut(days=[day_out(d) for d in days], verified_total=counts.get(True, 0),
                             pending_total=counts.get(False, 0))


def pending_days(session: Session, limit: int = 200) -> list[dict]:
    """Days people submitted (or staff entered unverified) that wait for a staff decision,
    oldest first, with whose they are."""
    rows = session.execute(
        sa.select(WorkDay, Person).join(Person, Person.person_id == WorkDay.person_id)
        .where(WorkDay.verified.is_(False), WorkDay.rejected_reason.is_(None))
        .order_by(WorkDay.created_at).limit(limit)).all()
    return [{**day_out(day).model_dump(mode="json"), "person_id": str(person.person_id),
             "il_number": person.il_number, "name": f"{person.first_name} {person.last_name}",
             "proof_document_id": str(day.proof_document_id) if day.proof_document_id else None}
            for day, person in rows]
