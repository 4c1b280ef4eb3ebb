"""Payroll ingestion at production size (issue 12): 10,000-record batches into a scratch copy of
the generated rosters database (60,000 people, 4.2M work days), through the domain function the
`ingest_payroll` RPC calls, accepted AND persisted: committed, the events in the outbox, the
people named re-evaluated as of the day. Baseline, in the same run: psycopg2 COPY of the same
number of rows into the same work_days table (then removed).

A batch: 8,500 new days for 1,000 people found by SSN, 500 days for SSNs nobody has (held), 500
repeated inside the batch, 500 already on file. The time is split into the ingestion proper
(validation, matching, dedupe, insert) and the re-evaluation of the people affected (which
belongs to the engine and records modules), measured around Reevaluation.people."""
from __future__ import annotations

import io
import random
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from bench.scratch import connect, default_context, median, scratch_copy
from bench.table import Figure, render

BATCH = 10_000
PEOPLE = 1_000
HELD = 500
REPEATED = 500
ON_FILE = 500
ROUNDS = 4
COPY_COLUMNS = ("id", "person_id", "held_ssn_index", "held_last_name", "classification_code", "work_date",
                "employer", "production", "hours", "union_contract", "source", "verified", "verified_at",
                "verified_on", "payroll_client_id", "dedupe_key", "created_at")


def make_batch(session, identities, today: date, round_no: int, people: int = PEOPLE,
               batch: int = BATCH) -> tuple[list[dict], set[uuid.UUID]]:
    """One batch's records and the people it names. Round n uses people n*people.. and a new
    employer, so every round's days are new to the database."""
    from rosters.models import ClassificationRecord, Person, WorkDay

    from common.identity import ssn_index

    scale = batch / BATCH
    held, repeated, on_file = int(HELD * scale), int(REPEATED * scale), int(ON_FILE * scale)
    new = batch - held - repeated - on_file
    rng = random.Random(round_no)
    first = round_no * people * 2
    ssn_of = {ssn_index(identities.ssn(i)): identities.ssn(i) for i in range(first, first + people * 2)}
    found = session.execute(sa.select(Person.ssn_index, Person.person_id, Person.last_name)
                            .where(Person.ssn_index.in_(list(ssn_of)))).all()
    codes: dict[uuid.UUID, str] = {}
    for person_id, code in session.execute(
            sa.select(ClassificationRecord.person_id, ClassificationRecord.classification_code)
            .where(ClassificationRecord.person_id.in_([p for _, p, _ in found]),
                   ClassificationRecord.closed_on.is_(None))
            .order_by(ClassificationRecord.applied_on)):
        codes.setdefault(person_id, code)
    chosen = [(ssn_of[index], pid, last) for index, pid, last in found if pid in codes][:people]
    employer = f"Bench Payroll Run {round_no} Studios"
    records = []
    for n in range(new):
        ssn, pid, last = chosen[n % len(chosen)]
        records.append({"ssn": ssn, "last_name": last, "first_name": "Bench", "employer": employer,
                        "production": "At Scale", "classification_code": codes[pid], "hours": 10,
                        "work_date": (today - timedelta(days=1 + n // len(chosen))).isoformat()})
    for n in range(held):
        k = 11 * 60_000 + round_no * 10_000 + n // 2
        records.append({"ssn": identities.ssn(k), "last_name": "Nobody-Yet", "first_name": "Bench",
                        "employer": employer, "production": "At Scale", "classification_code": codes[chosen[0][1]],
                        "hours": 8, "work_date": (today - timedelta(days=1 + n % 2)).isoformat()})
    records += [{**record, "employer": record["employer"].upper()} for record in rng.sample(records[:new], repeated)]
    last_of = {pid: (ssn, last) for ssn, pid, last in chosen}
    for pid, on, where, code in session.execute(
            sa.select(WorkDay.person_id, WorkDay.work_date, WorkDay.employer, WorkDay.classification_code)
            .where(WorkDay.person_id.in_(list(last_of)), WorkDay.rejected_reason.is_(None))
            .order_by(WorkDay.id).limit(on_file)):
        ssn, last = last_of[pid]
        records.append({"ssn": ssn, "last_name": last, "first_name": "Bench", "employer": where,
                        "production": "At Scale", "classification_code": code, "hours": 10,
                        "work_date": on.isoformat()})
    rng.shuffle(records)
    return records, {pid for _, pid, _ in chosen}


PARTS = {"validation": ("rosters.payroll", "_validate"), "matching": ("rosters.payroll", "_people_by_index"),
         "insert": ("rosters.payroll", "insert_new_days"), "confirming": ("rosters.payroll", "_confirm_pending"),
         "reevaluation": ("rosters.records", "Reevaluation.people")}


@contextmanager
def timed_parts(split: dict):
    """Adds up the seconds spent in each of PARTS into split[name] (the re-evaluation is
    another module's: rosters.records)."""
    import importlib

    patched = []
    for name, (module_name, attribute) in PARTS.items():
        owner = importlib.import_module(module_name)
        *path, function = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        real = getattr(owner, function)

        def timed(*args, _real=real, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _real(*args, **kwargs)
            finally:
                split[_name] = split.get(_name, 0.0) + time.perf_counter() - started

        setattr(owner, function, timed)
        patched.append((owner, function, real))
    try:
        yield
    finally:
        for owner, function, real in patched:
            setattr(owner, function, real)


def ingest_once(sessions, catalog, records: list[dict], today: date) -> dict:
    """As the ingest_payroll entrypoint does it: domain, events into the outbox, commit."""
    from rosters import payroll
    from rosters.models import Base

    from common.audit import Actor
    from common.publisher import outbox_row

    split: dict = {}
    with timed_parts(split), sessions() as session:
        started = time.perf_counter()
        batch = payroll.PayrollBatch(records=records, payroll_client_id=uuid.uuid4(),
                                     actor=Actor(roles=["payroll_client"]))
        report, events = payroll.ingest(session, catalog, batch, today)
        for event in events:
            session.add(outbox_row(Base, event))
        mark = time.perf_counter()
        session.commit()
        split["commit"] = time.perf_counter() - mark
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "report": report, "events": events, **split}


def copy_rows(url: str, records: list[dict], people: dict, today: date) -> float:
    """The baseline: COPY as many rows as the batch has records into work_days, commit; returns
    the seconds the COPY and commit took (the text is made before the clock starts). The rows
    are deleted afterwards."""
    from common.identity import normalise_ssn, ssn_index

    now = datetime.now(UTC).isoformat()
    client = str(uuid.uuid4())
    ids, lines = [], []
    for record in records:
        index = ssn_index(normalise_ssn(record["ssn"]))
        person = people.get(index)
        row_id = str(uuid.uuid4())
        ids.append(row_id)
        lines.append("\t".join((
            row_id, str(person) if person else "\\N", "\\N" if person else index,
            "\\N" if person else record["last_name"], record["classification_code"], record["work_date"],
            record["employer"], record["production"], str(record["hours"]), "f", "payroll", "t", now,
            today.isoformat(), client, f"copy|{row_id}", now)))
    text = "\n".join(lines) + "\n"
    with blocking_psycopg2():
        connection = connect(url)
        try:
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.copy_expert(f"COPY work_days ({', '.join(COPY_COLUMNS)}) FROM STDIN", io.StringIO(text))
                connection.commit()
                elapsed = time.perf_counter() - started
                cursor.execute("DELETE FROM work_days WHERE id = ANY(%s::uuid[])", (ids,))
            connection.commit()
        finally:
            connection.close()
    return elapsed


@contextmanager
def blocking_psycopg2():
    """psycopg2 refuses COPY while a wait callback makes it cooperative (eventlet's monkey_patch
    sets one, as `python -m bench` does); the baseline's connection is made without it."""
    import psycopg2.extensions

    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        yield
    finally:
        psycopg2.extensions.set_wait_callback(callback)


def check_persisted(sessions, result: dict, records: list[dict], named: set, today: date) -> None:
    """What the figure claims, verified: the batch's days stored once each, its events in the
    outbox, the people named evaluated as of `today`."""
    from rosters.models import Base, ClassificationRecord, WorkDay

    from common.identity import normalise_ssn, ssn_index

    employer = next(r["employer"] for r in records if "Run" in r["employer"]).casefold()
    report = result["report"]
    with sessions() as session:
        held = [ssn_index(normalise_ssn(r["ssn"])) for r in records if r["last_name"] == "Nobody-Yet"]
        stored = session.scalar(sa.select(sa.func.count()).select_from(WorkDay).where(
            sa.or_(WorkDay.person_id.in_(list(named)), WorkDay.held_ssn_index.in_(held)),
            sa.func.lower(WorkDay.employer) == employer))
        assert stored == report.accepted + report.held, (stored, report)
        ids = [e.event_id for e in result["events"]]
        outbox = Base.OutboxMessage
        in_outbox = sum(session.scalar(sa.select(sa.func.count()).select_from(outbox)
                                       .where(outbox.event_id.in_(ids[i:i + 1000]))) for i in range(0, len(ids), 1000))
        assert in_outbox == len(ids), (in_outbox, len(ids))
        stale = session.scalar(sa.select(sa.func.count()).select_from(ClassificationRecord).where(
            ClassificationRecord.person_id.in_(list(named)), ClassificationRecord.closed_on.is_(None),
            ClassificationRecord.status_as_of != today))
        assert stale == 0, f"{stale} records of people named not evaluated as of {today}"


def measure(context: dict) -> dict:
    from rosters.models import Base, Person
    from rosters.rulebook import current_catalog

    from bench.data.people import Identities
    from common.db import create_engine_for, make_session_factory
    from common.migrations import upgrade_to_head

    manifest, quick = context["manifest"], context.get("quick", False)
    today = date.fromisoformat(manifest["today"])
    rounds = 1 if quick else ROUNDS
    identities = Identities(manifest["seed"])
    out: dict = {"ingest": [], "copy": [], "reports": []}
    with scratch_copy(manifest["databases"]["rosters"], "ingest") as url:
        upgrade_to_head("rosters", url)  # as the service does when it starts
        engine = create_engine_for(url)
        sessions = make_session_factory(engine, Base)
        with sessions() as session:
            catalog = current_catalog(session)
            batches = [make_batch(session, identities, today, n) for n in range(rounds)]
            people = dict(session.execute(sa.select(Person.ssn_index, Person.person_id)
                                          .where(Person.ssn_index.is_not(None))).all())
            warm, _ = make_batch(session, identities, today, rounds + 1, people=50, batch=500)
        ingest_once(sessions, catalog, warm, today)  # warm: caches, connections
        for n, (records, named) in enumerate(batches):
            # which goes first alternates: the second finds the first's index pages in memory
            if n % 2 == 0:
                out["copy"].append(copy_rows(url, records, people, today))
            result = ingest_once(sessions, catalog, records, today)
            if n % 2 == 1:
                out["copy"].append(copy_rows(url, records, people, today))
            check_persisted(sessions, result, records, named, today)
            out["ingest"].append(result["seconds"])
            for part in (*PARTS, "commit"):
                out.setdefault(part, []).append(result.get(part, 0.0))
            out["reports"].append(result["report"])
        engine.dispose()
    return out


def figures(context: dict) -> list[Figure]:
    out = measure(context)
    ingest, copy = median(out["ingest"]), median(out["copy"])
    reevaluation = median(out["reevaluation"])
    proper = median([total - part for total, part in zip(out["ingest"], out["reevaluation"], strict=True)])
    report = out["reports"][-1]
    rate, raw, proper_rate = BATCH / ingest, BATCH / copy, BATCH / proper
    split = (f"median of {len(out['ingest'])} batches, each {ingest:.2f} s: re-evaluating the {PEOPLE:,} people "
             f"named (rosters.records.Reevaluation, not this module's) {reevaluation:.2f} s "
             f"({reevaluation / ingest:.0%}); the ingestion proper {proper:.2f} s, of which "
             + ", ".join(f"{part} {median(out[part]):.2f} s" for part in (*PARTS, "commit") if part != "reevaluation")
             + f"; COPY {copy:.2f} s. Last batch: "
             f"accepted {report.accepted:,}, held {report.held}, duplicates {report.duplicates}, "
             f"rejected {len(report.rejected)}")
    return [
        Figure(name="payroll ingestion, 10,000-record batches, accepted and persisted (PostgreSQL, 60k people)",
               value=rate, unit="records/s", baseline=raw, baseline_name="COPY of the same rows into the same table",
               goal="≥ 50 % of the raw rate", met=rate >= 0.5 * raw,
               note=split + (". Not met: the insert alone (five indexes and a foreign key on a 4.2M-row table, "
                             "validation of every text field) reaches about 0.3× COPY, and re-evaluating the people "
                             "named takes a third to a half of the batch. What would fix it: accept the batch into a "
                             "staging table by COPY (possible in a worker process without eventlet's green psycopg2) "
                             "and re-evaluate from the work_days_recorded event in competing consumers, so the "
                             "answer waits only for the COPY" if rate < 0.5 * raw else ""),
               extra={"seconds": out["ingest"], "copy_seconds": out["copy"],
                      "reevaluation_seconds": out["reevaluation"]}),
        Figure(name="… the same batches without the re-evaluation (the ingestion proper)",
               value=proper_rate, unit="records/s", baseline=raw, baseline_name="COPY, as above",
               goal="context for the row above", met=None),
    ]


def run(quick: bool = False) -> None:
    print(render(figures(default_context(quick))))


if __name__ == "__main__":
    run()
