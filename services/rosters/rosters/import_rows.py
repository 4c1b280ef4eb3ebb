"""Rows of the legacy import (issue 11) that the rosters own: classification records and work
days, sent by the accounts service's import runner a batch at a time. People are referred to by
IL number and found in this service's own person projection.

Idempotent: a record already on file with the same dates is unchanged; a day already on file
(the same dedupe key) is unchanged; so a batch replayed after a crash changes nothing."""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.contracts.imports import BatchOut, ClassificationRecordRow, RejectedRow, WorkDayRow, parse_batch
from common.contracts.rosters import STATUS_LABELS
from common.errors import ValidationFailed
from common.events import Event
from common.events.rosters import ApplicationStarted, PlacedOnRoster
from rosters.clock import now
from rosters.facts_store import chunks
from rosters.models import ClassificationRecord, Person
from rosters.payroll import insert_new_days
from rosters.records import Reevaluation
from rosters.work import dedupe_key, existing_keys, recorded_events

UNKNOWN_PERSON = "il_number: no person with this IL number (import the people file first)"
MAX_ROWS = 5000


def _people(session: Session, il_numbers) -> dict[str, uuid.UUID]:
    found = {}
    for batch in chunks(list(il_numbers)):
        found.update(session.execute(sa.select(Person.il_number, Person.person_id)
                                     .where(Person.il_number.in_(batch))).tuples().all())
    return found


def _parse(model, rows: list) -> tuple[list, list[RejectedRow]]:
    return parse_batch(model, rows)


def _classification(catalog, code: str, today: date):
    from rosters.proofs import classification_or_none

    return classification_or_none(catalog, code, today)


def classification_records(session: Session, catalog, rows: list, actor, today: date) -> tuple[BatchOut, list[Event]]:
    parsed, rejected = _parse(ClassificationRecordRow, rows)
    people = _people(session, {r.il_number for _, r in parsed})
    out = BatchOut()
    events: list[Event] = []
    for line, row in parsed:
        person_id = people.get(row.il_number)
        if person_id is None:
            rejected.append(RejectedRow(line=line, reason=UNKNOWN_PERSON))
            continue
        rules = _classification(catalog, row.classification_code, today)
        if rules is None:
            rejected.append(RejectedRow(line=line, reason=f"classification_code: unknown classification "
                                                          f"{row.classification_code!r}"))
            continue
        if row.status not in STATUS_LABELS:
            rejected.append(RejectedRow(line=line, reason=f"status: unknown status {row.status!r}; one of "
                                                          f"{', '.join(STATUS_LABELS)}"))
            continue
        if row.placed_on and row.placed_on < row.applied_on:
            rejected.append(RejectedRow(line=line, reason="placed_on: is before applied_on"))
            continue
        record = session.scalar(sa.select(ClassificationRecord).where(
            ClassificationRecord.person_id == person_id,
            ClassificationRecord.classification_code == rules.code))
        dates = {"applied_on": row.applied_on, "placed_on": row.placed_on,
                 "group_started_on": row.group_started_on}
        if record is None:
            record = ClassificationRecord(
                id=uuid.uuid4(), person_id=person_id, classification_code=rules.code, local=rules.local,
                status=row.status, status_as_of=today, updated_at=now(),
                closed_on=today if row.status == "closed" else None,
                closed_reason="imported as closed" if row.status == "closed" else None, **dates)
            session.add(record)
            session.flush()
            out.created += 1
            events.append(ApplicationStarted(person_id=person_id, classification_code=rules.code,
                                             local=rules.local, roster=rules.roster))
            if row.placed_on:
                events.append(PlacedOnRoster(person_id=person_id, classification_code=rules.code,
                                             placed_on=row.placed_on, local=rules.local,
                                             classification_name=rules.name, imported=True))
        elif all(getattr(record, k) == v for k, v in dates.items()):
            out.unchanged += 1
        else:
            for k, v in dates.items():
                setattr(record, k, v)
            record.updated_at = now()
            out.updated += 1
    out.rejected = sorted(rejected, key=lambda r: r.line)
    audit.record(session, actor, "import.classification_records", "import", None, rows=len(rows),
                 created=out.created, updated=out.updated, unchanged=out.unchanged, rejected=len(rejected))
    return out, events


def work_days(session: Session, catalog, rows: list, actor, today: date) -> tuple[BatchOut, list[Event]]:
    parsed, rejected = _parse(WorkDayRow, rows)
    people = _people(session, {r.il_number for _, r in parsed})
    codes = {c.code for c in catalog.all(today)}
    out = BatchOut()
    new: dict[str, dict] = {}
    lines_of: dict[str, int] = {}
    created = now()
    for line, row in parsed:
        person_id = people.get(row.il_number)
        if person_id is None:
            rejected.append(RejectedRow(line=line, reason=UNKNOWN_PERSON))
            continue
        if row.classification_code not in codes:
            rejected.append(RejectedRow(line=line, reason=f"classification_code: unknown classification "
                                                          f"{row.classification_code!r}"))
            continue
        if row.work_date > today:
            rejected.append(RejectedRow(line=line, reason="work_date: is in the future"))
            continue
        employer = " ".join(row.employer.split())
        key = dedupe_key(str(person_id), row.work_date, employer, row.classification_code)
        if key in new:
            out.unchanged += 1  # the same day twice in the file
            continue
        lines_of[key] = line
        new[key] = {
            "id": uuid.uuid4(), "person_id": person_id, "held_ssn_index": None, "held_last_name": None,
            "classification_code": row.classification_code, "work_date": row.work_date,
            "employer": employer, "production": row.production, "hours": row.hours,
            "union_contract": True, "source": "import", "verified": row.verified, "verified_by": None,
            "verified_at": created if row.verified else None, "verified_on": today if row.verified else None,
            "rejected_reason": None, "proof_document_id": None, "payroll_client_id": None,
            "dedupe_key": key, "created_at": created,
        }
    on_file = existing_keys(session, new)
    inserted = insert_new_days(session, [r for k, r in new.items() if k not in on_file])
    out.created += len(inserted)
    out.unchanged += len(new) - len(inserted)
    recorded: Counter = Counter()
    for key in inserted:
        recorded[(new[key]["person_id"], new[key]["classification_code"])] += 1
    events = recorded_events(recorded)
    reevaluation = Reevaluation(session, catalog, today, actor)
    reevaluation.people(sorted({pid for pid, _ in recorded}, key=str))
    events += reevaluation.events
    out.rejected = sorted(rejected, key=lambda r: r.line)
    audit.record(session, actor, "import.work_days", "import", None, rows=len(rows),
                 created=out.created, unchanged=out.unchanged, rejected=len(rejected))
    return out, events


KINDS = {"classification_records": classification_records, "work_days": work_days}


def import_rows(session: Session, catalog, kind: str, rows, actor, today: date) -> tuple[BatchOut, list[Event]]:
    if kind not in KINDS:
        raise ValidationFailed(f"The rosters service does not import {kind!r}.")
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise ValidationFailed(f"Send up to {MAX_ROWS} rows as a list.")
    return KINDS[kind](session, catalog, rows, actor, today)
