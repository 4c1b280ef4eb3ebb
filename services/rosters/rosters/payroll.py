"""Payroll feed ingestion (SPEC §2, §6): batches of up to 10,000 work records, each judged on its
own; days for an SSN nobody has yet are held until that person appears.

Built for thousands of records a second: a handful of bulk queries per batch, one insert, and
one evaluation per person affected, never a query or an evaluation per record.
"""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from common import audit
from common.contracts.rosters import PayrollRecordIn, PayrollReportOut, RejectedRecord, check_batch_size
from common.errors import ValidationFailed
from common.events import Event
from common.identity import normalise_ssn, ssn_index
from rosters.clock import now
from rosters.facts_store import chunks
from rosters.models import Person, WorkDay
from rosters.records import Reevaluation
from rosters.work import dedupe_key, existing_keys, known_codes, recorded_events

NAME_MISMATCH = "name does not match our record for that SSN"


def reason_of(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ())) or "record"
        parts.append(f"{field}: missing" if err.get("type") == "missing" else f"{field}: {err.get('msg')}")
    return "; ".join(parts)


def _validate(records: list, codes: set[str], today: date, index_of) -> tuple[list, list[RejectedRecord]]:
    valid, rejected = [], []
    for i, raw in enumerate(records):
        if not isinstance(raw, dict):
            rejected.append(RejectedRecord(index=i, reason="a record must be a JSON object"))
            continue
        try:
            record = PayrollRecordIn.model_validate(raw)
        except ValidationError as exc:
            rejected.append(RejectedRecord(index=i, reason=reason_of(exc)))
            continue
        if record.classification_code not in codes:
            rejected.append(RejectedRecord(index=i, reason=f"classification_code: unknown classification "
                                                           f"{record.classification_code!r}"))
            continue
        if record.work_date > today:
            rejected.append(RejectedRecord(index=i, reason="work_date: is in the future"))
            continue
        try:
            digits = normalise_ssn(record.ssn)
        except ValueError as exc:
            rejected.append(RejectedRecord(index=i, reason=f"ssn: {exc}"))
            continue
        valid.append((i, record, index_of(digits)))
    return valid, rejected


def _people_by_index(session: Session, indexes) -> dict[str, tuple[uuid.UUID, str]]:
    found = {}
    for batch in chunks(list(indexes)):
        for index, person_id, last_name in session.execute(
                sa.select(Person.ssn_index, Person.person_id, Person.last_name)
                .where(Person.ssn_index.in_(batch))):
            found[index] = (person_id, last_name)
    return found


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def insert_new_days(session: Session, rows: list[dict]) -> set[str]:
    """Insert, skipping any day another batch stored meanwhile; returns the keys inserted."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    table = WorkDay.__table__
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = insert.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.dedupe_key)
    inserted: set[str] = set()
    for batch in chunks(rows, 1000):
        inserted.update(session.execute(statement, batch).scalars())
    return inserted


@dataclass(frozen=True)
class PayrollBatch:
    """One batch as the payroll client sent it, with who sent it."""
    records: object                       # a list of work-record objects, judged one by one
    payroll_client_id: uuid.UUID | str | None = None
    actor: object = None
    ssn_key: dict | None = field(default=None, repr=False)   # the config holding HUB_SSN_KEY


def _confirm_pending(session: Session, keys: set[str], client_id, today: date) -> Counter:
    """A day the person submitted themselves and payroll now reports is verified by it."""
    confirmed: Counter = Counter()
    for batch in chunks(list(keys)):
        for person_id, code in session.execute(
                sa.update(WorkDay).where(WorkDay.dedupe_key.in_(batch), WorkDay.verified.is_(False),
                                         WorkDay.rejected_reason.is_(None), WorkDay.person_id.is_not(None))
                .values(verified=True, verified_at=now(), verified_on=today, payroll_client_id=client_id)
                .returning(WorkDay.person_id, WorkDay.classification_code)).tuples():
            confirmed[(person_id, code)] += 1
    return confirmed


def ingest(session: Session, catalog, batch: PayrollBatch, today: date) -> tuple[PayrollReportOut, list[Event]]:
    """Store the batch's days (verified today, by the payroll); returns the report and the
    events to publish (days recorded, and whatever the re-evaluation of each person changed)."""
    records, actor, config = batch.records, batch.actor, batch.ssn_key
    payroll_client_id = batch.payroll_client_id
    if not isinstance(records, list):
        raise ValidationFailed("Send the work records as a list: {\"records\": [...]}.")
    check_batch_size(records)
    client_id = uuid.UUID(str(payroll_client_id)) if payroll_client_id else None
    valid, rejected = _validate(records, known_codes(catalog, today), today,
                                lambda digits: ssn_index(digits, config))
    people = _people_by_index(session, {index for _, _, index in valid})

    rows: dict[str, dict] = {}
    duplicates = 0
    created = now()
    for i, record, index in valid:
        person = people.get(index)
        if person is not None and not _same_name(person[1], record.last_name):
            rejected.append(RejectedRecord(index=i, reason=NAME_MISMATCH))
            continue
        owner = str(person[0]) if person else f"held:{index}"
        key = dedupe_key(owner, record.work_date, record.employer, record.classification_code)
        if key in rows:
            duplicates += 1
            continue
        rows[key] = {
            "id": uuid.uuid4(), "person_id": person[0] if person else None,
            "held_ssn_index": None if person else index,
            "held_last_name": None if person else record.last_name,
            "classification_code": record.classification_code, "work_date": record.work_date,
            "employer": " ".join(record.employer.split()), "production": record.production or None,
            "hours": record.hours, "union_contract": record.union, "source": "payroll",
            "verified": True, "verified_by": None, "verified_at": created, "verified_on": today,
            "rejected_reason": None,
            "proof_document_id": None, "payroll_client_id": client_id, "dedupe_key": key,
            "created_at": created,
        }
    on_file = existing_keys(session, rows)
    confirmed = _confirm_pending(session, on_file, client_id, today)
    inserted = insert_new_days(session, [row for key, row in rows.items() if key not in on_file])
    duplicates += len(rows) - len(inserted)

    recorded: Counter = Counter(confirmed)
    held = 0
    for key in inserted:
        row = rows[key]
        if row["person_id"] is None:
            held += 1
        else:
            recorded[(row["person_id"], row["classification_code"])] += 1
    accepted = sum(recorded.values()) - sum(confirmed.values())
    events = recorded_events(recorded)
    reevaluation = Reevaluation(session, catalog, today, actor)
    reevaluation.people(sorted({pid for pid, _ in recorded}, key=str))
    events += reevaluation.events
    rejected.sort(key=lambda r: r.index)
    audit.record(session, actor, "payroll.ingested", "payroll_client", client_id, records=len(records),
                 accepted=accepted, duplicates=duplicates, held=held, rejected=len(rejected))
    return PayrollReportOut(accepted=accepted, duplicates=duplicates, held=held, rejected=rejected), events
