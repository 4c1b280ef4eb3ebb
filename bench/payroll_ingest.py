"""How fast a payroll batch is ingested (SPEC §8: thousands of records a second): 10,000 records,
9,000 for 1,000 applicants (each then re-evaluated once) and 1,000 for SSNs nobody has yet
(held), against the embedded SQLite database; then the same batch again (all duplicates)."""
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from common.audit import Actor
from common.clock import today as hub_today
from common.db import create_engine_for, make_session_factory
from common.events.accounts import PersonRegistered
from common.identity import ssn_index
from common.migrations import upgrade_to_head
from common.publisher import outbox_row

PEOPLE = 1_000
DAYS = 9          # each: 9,000 records for people we know
HELD = 1_000      # and 1,000 for SSNs nobody has yet


def ssn_of(i: int) -> str:
    return f"{100 + i // 9000:03d}{1 + (i // 100) % 90:02d}{1 + i % 9000:04d}"


def run() -> None:
    from rosters import applications, facts_events, payroll
    from rosters.models import Base
    from rosters.rulebook import current_catalog, sync_shipped_catalog

    today = hub_today()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'rosters.db'}"
        upgrade_to_head("rosters", url)
        sessions = make_session_factory(create_engine_for(url), Base)
        sync_shipped_catalog(sessions)
        with sessions() as session:
            catalog = current_catalog(session)
            for i in range(PEOPLE):
                person_id = uuid.uuid4()
                facts_events.register_person(session, PersonRegistered(
                    person_id=person_id, il_number=f"{i:010d}", first_name="Bench", last_name="Grip",
                    ssn_index=ssn_index(ssn_of(i))))
                applications.apply(session, catalog, person_id, "80-GRIP", Actor.system(), today)
            session.commit()
        records = [{"ssn": ssn_of(i), "last_name": "Grip", "first_name": "Bench", "employer": "Bench Studios",
                    "production": "Benchmark", "classification_code": "80-GRIP",
                    "work_date": (today - timedelta(days=d)).isoformat(), "hours": 10}
                   for i in range(PEOPLE) for d in range(DAYS)]
        records += [{**records[0], "ssn": ssn_of(PEOPLE + i)} for i in range(HELD)]
        actor = Actor(roles=["payroll_client"])
        for label in ("new", "repeated (all duplicates)"):
            with sessions() as session:
                started = time.perf_counter()
                batch = payroll.PayrollBatch(records=records, actor=actor)
                report, events = payroll.ingest(session, current_catalog(session), batch, today)
                for event in events:  # as the entrypoint publishes them: into the outbox
                    session.add(outbox_row(Base, event))
                session.commit()
                elapsed = time.perf_counter() - started
            print(f"{len(records)} records, {label}: {elapsed:.2f} s, {len(records) / elapsed:,.0f} records/s "
                  f"(accepted {report.accepted}, held {report.held}, duplicates {report.duplicates}; "
                  f"SQLite)")


if __name__ == "__main__":
    run()
