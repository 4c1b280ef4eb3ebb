"""Payroll feed ingestion (SPEC §2, §6): batches of up to 10,000 work records, each judged on its
own; days for an SSN nobody has yet are held until that person appears.

Built for thousands of records a second: a handful of bulk queries per batch, one insert, and
one evaluation per person affected, never a query or an evaluation per record. On PostgreSQL the
whole batch goes to the database as one JSON parameter and in by one INSERT … SELECT of the days
not on file (issue 12: about twice as fast as multi-row INSERTs); a batch that meets days another
batch stored meanwhile takes the ON CONFLICT DO NOTHING way instead. Days are inserted in
dedupe-key order, so two batches naming the same days take the key locks in the same order and
cannot deadlock on them.
"""
from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.dialects import sqlite
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
from rosters.work import dedupe_key, known_codes, recorded_events

log = logging.getLogger(__name__)

NAME_MISMATCH = "name does not match our record for that SSN"
UNIQUE_VIOLATION = "23505"


def reason_of(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ())) or "record"
        parts.append(f"{field}: missing" if err.get("type") == "missing" else f"{field}: {err.get('msg')}")
    return "; ".join(parts)


def _validate(records: list, codes: set[str], today: date, index_of) -> tuple[list, list[RejectedRecord]]:
    valid, rejected = [], []
    indexes: dict[str, str] = {}  # a batch names each person many times: one HMAC per SSN
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
        index = indexes.get(digits)
        if index is None:
            index = indexes[digits] = index_of(digits)
        valid.append((i, record, index))
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
    """Insert, skipping any day already on file or stored by another batch meanwhile; returns
    the keys inserted."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        return _insert_as_json(session, rows)
    table = WorkDay.__table__
    statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]) \
        .returning(table.c.dedupe_key)
    inserted: set[str] = set()
    for batch in chunks(rows, 1000):
        inserted.update(session.execute(statement, batch).scalars())
    return inserted


def _json_value(value):
    if isinstance(value, datetime) and value.tzinfo is None:  # as common.db.UTCDateTime refuses them
        raise ValueError("naive datetime given; use datetime.now(timezone.utc)")
    return value.isoformat() if isinstance(value, date) else str(value)


def _with_defaults(rows: list[dict]) -> tuple[list[sa.Column], list[dict]]:
    """The columns to send: those the rows give, plus those with a Python-side default (which an
    ORM or Core insert would have filled in)."""
    given = set(rows[0])
    defaults = {column.name: column.default for column in WorkDay.__table__.columns
                if column.name not in given and column.default is not None}
    if defaults:
        rows = [{**row, **{name: default.arg if default.is_scalar else default.arg(None)
                           for name, default in defaults.items()}} for row in rows]
    return [column for column in WorkDay.__table__.columns if column.name in given or column.name in defaults], rows


def _insert_as_json(session: Session, rows: list[dict]) -> set[str]:
    """All the rows as one JSON parameter, unpacked by json_to_recordset into one INSERT … SELECT
    (COPY would be as fast but psycopg2 refuses it once psycogreen makes it cooperative)."""
    columns, rows = _with_defaults(rows)
    dialect = session.get_bind().dialect
    names = ", ".join(column.name for column in columns)
    shape = ", ".join(f"{column.name} {column.type.compile(dialect=dialect)}" for column in columns)
    document = json.dumps([{column.name: row[column.name] for column in columns} for row in rows],
                          default=_json_value, ensure_ascii=False)
    incoming = f"SELECT {names} FROM json_to_recordset(CAST(:rows AS json)) AS incoming({shape})"
    try:
        with session.begin_nested():
            # Most days are new: leaving out those on file and inserting the rest plainly is a third
            # faster than ON CONFLICT, which makes every row's insertion speculative.
            return set(session.scalars(sa.text(
                f"INSERT INTO work_days ({names}) {incoming} WHERE NOT EXISTS (SELECT 1 FROM work_days AS stored "
                f"WHERE stored.dedupe_key = incoming.dedupe_key) ORDER BY dedupe_key RETURNING dedupe_key"),
                {"rows": document}))
    except sa.exc.IntegrityError as exc:
        if getattr(exc.orig, "pgcode", None) != UNIQUE_VIOLATION:
            raise
    # another batch stored some of these days after this statement began: skip them one by one
    log.info("a payroll batch met days another batch stored meanwhile; skipping those")
    return set(session.scalars(sa.text(
        f"INSERT INTO work_days ({names}) {incoming} ORDER BY dedupe_key "
        f"ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key"), {"rows": document}))


@dataclass(frozen=True)
class PayrollBatch:
    """One batch as the payroll client sent it, with who sent it."""
    records: object                       # a list of work-record objects, judged one by one
    payroll_client_id: uuid.UUID | str | None = None
    actor: object = None
    ssn_key: dict | None = field(default=None, repr=False)   # the config holding HUB_SSN_KEY


def _confirm_pending(session: Session, keys: list[str], client_id, today: date) -> Counter:
    """A day the person submitted themselves and payroll now reports is verified by it."""
    confirmed: Counter = Counter()
    for batch in chunks(keys):
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
    # insert first: a key not inserted is on file (or was stored by a batch committed meanwhile),
    # so no query beforehand to find them
    inserted = insert_new_days(session, list(rows.values()))
    confirmed = _confirm_pending(session, sorted(rows.keys() - inserted), client_id, today)
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
