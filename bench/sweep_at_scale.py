"""Issue 12: the daily sweep at full size, on a scratch copy of the generated rosters database
(`make bench-data`: 60,000 people, ~100,000 classification records, 4.2M work days).

- the full sweep: every open record re-evaluated as of the data set's day, as a staff sweep of
  another day or `full=True` does (rosters.sweep.batches), batches committed as the service
  commits them; the first after the migration also stores every record's next_review_on, and
  the transitions the generated statuses are due (the generator does not run the engine);
- the same again, the same day: every record evaluated, nothing left to write;
- baseline, measured in the same run: the engine alone (rosters.engine.evaluate) over the same
  records and the same facts, loaded in memory beforehand;
- the daily sweep where nothing changed: run again the same day, and the next day: how many
  records it re-evaluates (what time can change) against how many there are, how many rows it
  writes, and how long it takes.

Events are collected, not published: the service writes them to its outbox in each batch's
commit (bench/relay_at_scale.py measures the relay)."""
from __future__ import annotations

import time
from datetime import date, timedelta

import sqlalchemy as sa

from bench.scratch import default_context, scratch_copy
from bench.table import Figure, render

GOAL = 6_000  # records/s
NOT_MET = (
    ". Not met: the engine alone is about 8,000 records per CPU second and reading the facts, "
    "locking and writing the records take nearly as much again, all in the service's one process. "
    "A process pool inside the service would not help: pickling a batch's facts costs ~70 µs a "
    "record to send and ~100 µs to receive (measured on these facts), as much as evaluating them, "
    "and eventlet's monkey-patched threads make the pool's plumbing a risk. What would: split a "
    "full sweep into ranges of people that each rosters instance claims (competing consumers, as "
    "the daily run is claimed now), so two instances sweep on two cores")


def _writes(engine) -> dict:
    """Counts rows written to classification_records while listening: UPDATE statements through
    SQLAlchemy, and the sweep's bulk UPDATE … FROM (VALUES …) (rosters.records._update_from_values)."""
    from rosters import records

    counts = {"rows": 0}

    def after(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE CLASSIFICATION_RECORDS") and cursor.rowcount > 0:
            counts["rows"] += cursor.rowcount

    bulk = records._update_from_values

    def counted(session, table, names, rows):
        counts["rows"] += len(rows)
        return bulk(session, table, names, rows)

    def stop():
        sa.event.remove(engine, "after_cursor_execute", after)
        records._update_from_values = bulk

    sa.event.listen(engine, "after_cursor_execute", after)
    records._update_from_values = counted
    counts["stop"] = stop
    return counts


def timed_sweep(engine, sessions, catalog, as_of: date, full: bool) -> dict:
    from rosters import sweep
    from rosters.records import Tally

    from common.audit import Actor

    total, events = Tally(), 0
    writes = _writes(engine)
    started, cpu = time.perf_counter(), time.process_time()
    try:
        with sessions() as session:
            for tally, batch_events in sweep.batches(session, catalog, as_of, Actor.system(), full=full):
                total.add(tally)
                events += len(batch_events)
                session.commit()  # as the service does after publishing each batch's events
    finally:
        writes["stop"]()
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu,
            "evaluated": total.evaluated, "events": events, "rows_written": writes["rows"], "tally": total.as_dict()}


def engine_alone(sessions, catalog, as_of: date) -> dict:
    """The same records and facts as the full sweep, loaded first; then only the engine, timed
    the way the sweep runs it (rosters.sweep.engine_pace)."""
    from rosters.engine.evaluate import evaluate
    from rosters.facts_store import as_engine_record, facts_for_people, records_of_people
    from rosters.records import Reevaluation
    from rosters.sweep import FULL_BATCH, engine_pace, people_to_sweep

    work = []
    with sessions() as session:
        reevaluation = Reevaluation(session, catalog, as_of)
        people = people_to_sweep(session)
        for start in range(0, len(people), FULL_BATCH):
            batch = people[start:start + FULL_BATCH]
            span = (batch[0], batch[-1])
            records = records_of_people(session, batch, span=span)
            facts = facts_for_people(session, list(records), needs=reevaluation._needs(records), span=span)
            for person_id, person_records in records.items():
                for record in person_records:
                    rules = reevaluation._rules_of(record.classification_code)
                    if rules is not None:
                        work.append((as_engine_record(record), rules, facts[person_id]))
            session.expunge_all()
    started, cpu = time.perf_counter(), time.process_time()
    with engine_pace():
        for record, rules, facts in work:
            evaluate(record, rules, facts, as_of)
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu,
            "evaluated": len(work)}


def measure(context: dict) -> dict:
    from rosters.models import Base, ClassificationRecord
    from rosters.rulebook import current_catalog

    from common.db import create_engine_for, make_session_factory
    from common.migrations import upgrade_to_head

    manifest = context["manifest"]
    today = date.fromisoformat(manifest["today"])
    out: dict = {"today": today}
    with scratch_copy(manifest["databases"]["rosters"], "sweep") as url:
        upgrade_to_head("rosters", url)  # as the service does when it starts
        engine = create_engine_for(url)
        sessions = make_session_factory(engine, Base)
        with sessions() as session:
            catalog = current_catalog(session)
            out["open"] = session.scalar(sa.select(sa.func.count()).select_from(ClassificationRecord)
                                         .where(ClassificationRecord.closed_on.is_(None)))
        out["first"] = timed_sweep(engine, sessions, catalog, today, full=True)
        out["engine"] = engine_alone(sessions, catalog, today)
        if not context.get("quick"):
            out["full"] = timed_sweep(engine, sessions, catalog, today, full=True)
        with sessions() as session:
            out["open_after"] = session.scalar(sa.select(sa.func.count()).select_from(ClassificationRecord)
                                               .where(ClassificationRecord.closed_on.is_(None)))
            out["due_next_day"] = session.scalar(sa.select(sa.func.count()).select_from(ClassificationRecord).where(
                ClassificationRecord.closed_on.is_(None),
                ClassificationRecord.next_review_on <= today + timedelta(days=1)))
        out["same_day"] = timed_sweep(engine, sessions, catalog, today, full=False)
        out["next_day"] = timed_sweep(engine, sessions, catalog, today + timedelta(days=1), full=False)
        engine.dispose()
    return out


def figures(context: dict) -> list[Figure]:
    out = measure(context)
    engine = out["engine"]
    baseline = engine["evaluated"] / engine["seconds"]
    baseline_name = "the engine alone over the same records and facts in memory"
    result = []
    for key, name in (("first", "full sweep, first after the migration (stores every record's next_review_on)"),
                      ("full", "full sweep again the same day (every record evaluated, nothing to write)")):
        if key not in out:
            continue
        run = out[key]
        rate = run["evaluated"] / run["seconds"]
        result.append(Figure(
            name=f"{name}, PostgreSQL, {context['manifest']['people']:,} people", value=rate, unit="records/s",
            baseline=baseline, baseline_name=baseline_name, goal=f"≥ {GOAL:,} records/s", met=rate >= GOAL,
            note=(f"{run['evaluated']:,} records in {run['seconds']:.1f} s ({run['cpu_seconds']:.1f} s of this "
                  f"process's CPU: {run['evaluated'] / run['cpu_seconds']:,.0f} records per CPU second, the "
                  f"database's own work not counted), {run['rows_written']:,} rows written, {run['events']:,} "
                  f"events ({run['tally']}); the engine alone: {engine['evaluated']:,} records in "
                  f"{engine['seconds']:.1f} s ({engine['evaluated'] / engine['cpu_seconds']:,.0f} records per "
                  f"CPU second). One process, one core: on a shared machine the wall-clock rate follows the "
                  f"CPU share it gets" + ("" if rate >= GOAL else NOT_MET)),
            extra=run))
    total = out["open_after"]
    for key, when in (("same_day", "run again the same day"), ("next_day", "the next day")):
        run = out[key]
        result.append(Figure(
            name=f"daily sweep where nothing changed, {when}: records re-evaluated", value=run["evaluated"],
            unit="records", baseline=total, baseline_name="open records",
            goal="only what time can change" + (": none" if key == "same_day" else
                                                f" (next_review_on due: {out['due_next_day']:,})"),
            met=(run["evaluated"] == 0 and run["rows_written"] == 0) if key == "same_day"
            else run["evaluated"] <= out["due_next_day"] + run["tally"]["advanced"],
            note=f"{run['seconds']:.2f} s, {run['rows_written']:,} rows written, {run['events']:,} events",
            extra=run))
    return result


def run(quick: bool = False) -> None:
    print(render(figures(default_context(quick))))


if __name__ == "__main__":
    import sys

    run(quick="--quick" in sys.argv)
