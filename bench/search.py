"""Public roster search at full size: 60,000 people and ~100,000 classification records in a
SQLite rosters database migrated the way the service migrates it; p50/p95 of typical searches
(rosters.search, the function behind the RPC, without the broker)."""
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from rosters.models import Base, CatalogVersion, ClassificationRecord, Completion, Person
from rosters.search import search

from common.db import create_engine_for, make_session_factory
from common.identity import ssn_index
from common.migrations import upgrade_to_head

PEOPLE = 60_000
RUNS = 200  # of each kind of search
TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, tzinfo=UTC)

LAST_NAMES = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
              "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
              "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
              "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
              "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
              "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "O'Brien", "McDonald", "DeLuca"]
FIRST_NAMES = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
               "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
               "Sarah", "Chris", "Karen", "Robin", "Pat", "Kim", "Lee", "Alex", "Sam", "Jordan", "Taylor"]
LOCALS = {"80": ["GRIP", "DOLLY", "KEY-GRIP", "CRAFT-SERVICE"], "44": ["PROP", "PROPMAKER", "SET-DRESSER"],
          "399": ["DRIVER-G3", "DRIVER-G2", "DRIVER-G1", "DISPATCHER", "WRANGLER", "MECHANIC-G3"],
          "600": ["CAMERA-OP", "1ST-AC", "2ND-AC", "DIT", "STILLS"], "839": ["ANIMATOR", "STORYBOARD"],
          "728": ["ELECTRICIAN", "GAFFER"], "705": ["COSTUMER"], "706": ["MAKEUP", "HAIR"]}
CODES = [(local, f"{local}-{suffix}") for local, suffixes in LOCALS.items() for suffix in suffixes]
STATUSES = ["compliant"] * 6 + ["approaching_deadline", "not_compliant", "in_progress_training_eligible",
                                "in_progress_not_training_eligible", "pending_advancement"]
COURSES = ["A", "A2", "B", "B3", "D1", "E", "E2", "F", "G", "H", "HP1", "HP2", "C19"]


def ssn_of(i: int) -> str:
    rest = i % 9_000
    return f"{100 + i // 9_000:03d}{rest // 100 + 1:02d}{rest % 100 + 1:04d}"  # unique and valid


def fill(sessions, rng: random.Random) -> list[dict]:
    people = []
    for i in range(PEOPLE):
        people.append({"person_id": uuid.uuid4(), "il_number": f"{1_000_000_000 + i * 7:010d}",
                       "first_name": rng.choice(FIRST_NAMES),
                       "last_name": rng.choice(LAST_NAMES) + (rng.choice(["", "", "son", "ez", "-Hill"])),
                       "registered_at": NOW, "ssn_index": ssn_index(ssn_of(i))})
    records, completions = [], []
    for p in people:
        for local, code in rng.sample(CODES, rng.choice([1, 1, 1, 2, 2, 3])):  # ~1.7 each: ~100,000
            records.append({"id": uuid.uuid4(), "person_id": p["person_id"], "classification_code": code,
                            "local": local, "applied_on": TODAY - timedelta(days=rng.randint(30, 3000)),
                            "status": rng.choice(STATUSES), "status_as_of": TODAY,
                            "closed_on": TODAY - timedelta(days=5) if rng.random() < 0.03 else None,
                            "updated_at": NOW})
        for course in rng.sample(COURSES, rng.randint(1, 4)):
            done = TODAY - timedelta(days=rng.randint(1, 1500))
            completions.append({"person_id": p["person_id"], "course_code": course, "completed_on": done,
                                "expires_on": done + timedelta(days=730) if rng.random() < 0.3 else None})
    catalog = [{"id": n, "local": local, "version": 1, "effective_on": date(2024, 1, 1), "source": "bench",
                "loaded_at": NOW, "document": json.dumps({"classifications": [
                    {"code": f"{local}-{s}", "name": f"Local #{local} ({s.title()})"} for s in suffixes]})}
               for n, (local, suffixes) in enumerate(LOCALS.items(), start=1)]
    with sessions() as session:
        for model, rows in ((Person, people), (ClassificationRecord, records), (Completion, completions),
                            (CatalogVersion, catalog)):
            for start in range(0, len(rows), 5_000):
                session.execute(sa.insert(model.__table__), rows[start:start + 5_000])
        session.commit()
        session.execute(sa.text("ANALYZE"))
    print(f"filled: {len(people):,} people, {len(records):,} classification records, "
          f"{len(completions):,} completions")
    return people


def timed(sessions, criteria_of, rng: random.Random) -> tuple[float, float, float]:
    latencies, hits = [], []
    with sessions() as session:
        search(session, criteria_of(rng), today=TODAY)  # warm the catalog names
        for _ in range(RUNS):
            criteria = criteria_of(rng)
            started = time.perf_counter()
            answer = search(session, criteria, today=TODAY)
            latencies.append(time.perf_counter() - started)
            hits.append(answer.total)
    latencies.sort()
    return (statistics.median(latencies) * 1000, latencies[int(len(latencies) * 0.95)] * 1000,
            statistics.mean(hits))


def run() -> None:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'rosters.db'}"
        upgrade_to_head("rosters", url)
        engine = create_engine_for(url)
        sessions = make_session_factory(engine, Base)
        started = time.perf_counter()
        people = fill(sessions, rng)
        print(f"bulk insert took {time.perf_counter() - started:.1f} s")

        def some(r):
            return r.choice(people)

        searches = {
            "last name prefix (3 letters)": lambda r: {"last_name": some(r)["last_name"][:3].lower()},
            "last name + first name": lambda r: {"last_name": some(r)["last_name"][:4], "first_name": "J"},
            "last name + SSN": lambda r: (lambda i: {"last_name": people[i]["last_name"][:2],
                                                     "ssn": ssn_of(i)})(r.randrange(PEOPLE)),
            "IL number": lambda r: {"il_number": some(r)["il_number"]},
            "classification + local": lambda r: (lambda c: {"classification": c[1], "local": c[0]})(r.choice(CODES)),
            "classification, page 20": lambda r: {"classification": r.choice(CODES)[1], "page": 20},
        }
        for name, criteria_of in searches.items():
            p50, p95, hits = timed(sessions, criteria_of, rng)
            print(f"{name:32s} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   ({hits:,.0f} matches on average)")
        engine.dispose()
