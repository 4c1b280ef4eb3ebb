"""The last seat of an in-person session, taken by two people at the same moment: exactly one gets
it and the other joins the waitlist. Two real OS threads, each with its own session (as two
replicas of the training service would be), both past every check before either claims the
seat; on PostgreSQL and on a SQLite file."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from nameko.testing.services import worker_factory
from training import domain
from training.courses import load_courses
from training.models import Base, Completion, CourseSession, Learner, LearnerRecord
from training.service import TrainingService

from common.clock import today
from common.db import create_engine_for, make_session_factory
from common.migrations import upgrade_to_head

real_threading = eventlet.patcher.original("threading")

STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}


def ready_person(session) -> uuid.UUID:
    """Placed on a roster with A and HP1 done: free to take a craft course."""
    person_id = uuid.uuid4()
    now = datetime.now(UTC)
    session.add(Learner(person_id=person_id, il_number=f"{person_id.int % 10**10:010d}", first_name="Sam",
                        last_name="Seat", registered_at=now))
    session.add(LearnerRecord(person_id=person_id, classification_code="80-GRIP", status="compliant",
                              placed_on=today(), closed=False, event_at=now))
    for code in ("A", "HP1"):
        session.add(Completion(id=uuid.uuid4(), person_id=person_id, course_code=code, completed_on=today(),
                               expires_on=None, source="staff", recorded_at=now))
    return person_id


def race_for_the_last_seat(factory, catalog, seats_free: int = 1) -> list[dict]:
    with factory() as session:
        row = CourseSession(id=uuid.uuid4(), course_code="FORKLIFT", location="2710 Winona Avenue, Burbank",
                            starts_at=datetime.now(UTC) + timedelta(days=3), capacity=seats_free, seats_taken=0,
                            waitlist_next=0, cancelled=False, created_at=datetime.now(UTC))
        session.add(row)
        people = [ready_person(session), ready_person(session)]
        session.commit()
        session_id = row.id

    # both workers pass every check, then meet here, then claim the seat together
    gate = real_threading.Barrier(2, timeout=20)
    claim = domain._claim_seat
    waited = real_threading.local()

    def claim_together(session, seat_id):
        if not getattr(waited, "done", False):
            waited.done = True
            gate.wait()
        return claim(session, seat_id)

    results: dict[int, object] = {}

    def enroll(i: int) -> None:
        with factory() as session:
            service = worker_factory(TrainingService, db=session, publish=lambda event: None, courses=catalog)
            try:
                results[i] = service.enroll(str(people[i]), {"course_code": "FORKLIFT",
                                                             "session_id": str(session_id)},
                                            {"person_id": str(people[i]), "roles": ["industry_professional"]})
            except BaseException as exc:  # reported below
                results[i] = exc

    domain._claim_seat = claim_together
    try:
        threads = [real_threading.Thread(target=enroll, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        domain._claim_seat = claim
    outcomes = [results.get(i) for i in range(2)]
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    with factory() as session:
        seat = session.get(CourseSession, session_id)
        assert (seat.seats_taken, seat.capacity) == (1, 1)
    return outcomes


@pytest.fixture(scope="module")
def catalog():
    return load_courses()


@pytest.mark.postgres
def test_two_people_taking_the_last_seat_at_once_on_postgresql_one_gets_it(postgres_url, catalog):
    url = postgres_url()
    upgrade_to_head("training", url)
    engine = create_engine_for(url)
    try:
        outcomes = race_for_the_last_seat(make_session_factory(engine, Base), catalog)
    finally:
        engine.dispose()
    assert sorted((o["status"], o["waitlist_position"]) for o in outcomes) == [("enrolled", None), ("waitlisted", 1)]


def test_two_people_taking_the_last_seat_at_once_on_sqlite_one_gets_it(tmp_path, catalog):
    url = f"sqlite:///{tmp_path / 'training.db'}"
    upgrade_to_head("training", url)
    # two engines: two processes' worth of connections to the same file
    engines = [create_engine_for(url), create_engine_for(url)]
    factories = [make_session_factory(e, Base) for e in engines]
    calls = iter([factories[0], factories[0], factories[1], factories[0]])

    def factory():
        return next(calls)()

    try:
        outcomes = race_for_the_last_seat(factory, catalog)
    finally:
        for engine in engines:
            engine.dispose()
    assert sorted((o["status"], o["waitlist_position"]) for o in outcomes) == [("enrolled", None), ("waitlisted", 1)]
