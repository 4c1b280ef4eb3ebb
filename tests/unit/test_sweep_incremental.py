"""The daily sweep re-evaluates only the records time can change (rosters.sweep): day after day,
with facts arriving as they do (each re-evaluating its person at once), it leaves every record
and sends every event exactly as a full re-evaluation of everyone would; a day on which nothing
changed touches nothing; a new version of the rules, another reminder schedule or a staff sweep
of another day re-evaluates everything."""
from __future__ import annotations

import functools
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rosters import sweep
from rosters.catalog_loader import load_catalog_files, sync_catalog_to_db
from rosters.models import (
    Answer,
    ClassificationRecord,
    Completion,
    DocumentFact,
    Person,
    Suspension,
    WorkDay,
)
from rosters.records import NEVER, reevaluate_people
from rosters.rulebook import current_catalog

from common.audit import Actor
from tests.support.databases import memory_sessions

START = date(2026, 3, 2)
DAYS = 40
OFFSETS = (60, 30, 7, 0, -7)
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
CODES = {"399-DRIVER-G3": "399", "80-GRIP": "80"}
COURSES = ["A", "C19", "HP1", "HP2", "B", "D1"]
DOCUMENTS = ["cdl_class_a", "dot_medical_certificate"]


@functools.cache
def shipped():
    return load_catalog_files()


def database():
    sessions = memory_sessions("rosters")
    with sessions() as session:
        sync_catalog_to_db(session, shipped())
        session.commit()
    return sessions


# --- histories: people, their records and facts, each fact arriving on a day ------------------------

def day(offset: int) -> date:
    return START + timedelta(days=offset)


@st.composite
def people(draw):
    """[(person row, [record rows], [(arrival offset, model, row)])]: facts dated up to the first
    day are there from the start; later ones arrive on their day (or a verification later)."""
    found = []
    for n in range(draw(st.integers(1, 4))):
        person_id = uuid.uuid4()
        person = {"person_id": person_id, "il_number": f"{n:010d}", "first_name": "Pat", "last_name": "Grip",
                  "registered_at": NOW}
        records = []
        for code in draw(st.lists(st.sampled_from(sorted(CODES)), min_size=1, max_size=2, unique=True)):
            applied = draw(st.integers(-800, 0))
            placed = draw(st.none() | st.integers(applied, 5))
            records.append({"id": uuid.uuid4(), "person_id": person_id, "classification_code": code,
                            "local": CODES[code], "applied_on": day(applied),
                            "placed_on": day(placed) if placed is not None else None,
                            "group_started_on": (day(placed - draw(st.integers(0, 760)))
                                                 if placed is not None and code == "399-DRIVER-G3" else None),
                            "status": "", "status_as_of": day(-1), "updated_at": NOW})
        facts, seen = [], set()
        for start in draw(st.lists(st.integers(-420, DAYS), max_size=2)):   # a run of work days
            verified_after = draw(st.integers(0, 5))
            code = draw(st.sampled_from(sorted(CODES)))
            for i in range(draw(st.integers(1, 34))):
                worked = day(start + i)
                if f"{person_id}|{worked}|{code}" in seen:
                    continue
                seen.add(f"{person_id}|{worked}|{code}")
                facts.append((max(0, start + i + verified_after), WorkDay, {
                    "id": uuid.uuid4(), "person_id": person_id, "classification_code": code, "work_date": worked,
                    "employer": "Lot", "union_contract": True, "source": "payroll", "verified": True,
                    "verified_on": worked + timedelta(days=verified_after),
                    "dedupe_key": f"{person_id}|{worked}|{code}", "created_at": NOW}))
        for course, taken, lasts in draw(st.lists(st.tuples(st.sampled_from(COURSES), st.integers(-900, DAYS),
                                                            st.none() | st.integers(10, 900)), max_size=6,
                                                  unique_by=lambda t: (t[0], t[1]))):
            facts.append((max(0, taken), Completion, {
                "person_id": person_id, "course_code": course, "completed_on": day(taken),
                "expires_on": day(taken + lasts) if lasts is not None else None}))
        for kind, approved, lasts in draw(st.lists(st.tuples(st.sampled_from(DOCUMENTS), st.integers(-900, DAYS),
                                                             st.none() | st.integers(5, 800)), max_size=4)):
            facts.append((max(0, approved), DocumentFact, {
                "document_id": uuid.uuid4(), "person_id": person_id, "document_type": kind, "status": "approved",
                "approved_on": day(approved), "expires_on": day(approved + lasts) if lasts is not None else None}))
        for answered, answer in draw(st.lists(st.tuples(st.integers(-900, DAYS), st.booleans()), max_size=2,
                                              unique_by=lambda t: t[0])):
            facts.append((max(0, answered), Answer, {"person_id": person_id, "question": "supervisor",
                                                     "answer": answer, "answered_on": day(answered)}))
        for begins, lasts in draw(st.lists(st.tuples(st.integers(-30, DAYS), st.none() | st.integers(0, 20)),
                                           max_size=1)):
            facts.append((max(0, begins), Suspension, {
                "id": uuid.uuid4(), "person_id": person_id, "classification_code": records[0]["classification_code"],
                "kind": "suspension", "starts_on": day(begins),
                "ends_on": day(begins + lasts) if lasts is not None else None, "reason": "Paperwork",
                "created_at": NOW}))
        found.append((person, records, facts))
    return found


def fill(sessions, history, upto: int | None) -> None:
    with sessions() as session:
        for person, records, facts in history:
            session.execute(sa.insert(Person), [person])
            session.execute(sa.insert(ClassificationRecord), records)
            for arrives, model, row in facts:
                if upto is None or arrives <= upto:
                    session.execute(sa.insert(model), [row])
        session.commit()


def plain(events) -> Counter:
    return Counter((e.event_type, tuple(sorted((k, str(v)) for k, v in e.model_dump(mode="json").items()
                                               if k not in ("event_id", "occurred_at"))))
                   for e in events)


def states(session) -> dict:
    r = ClassificationRecord
    return {(row.person_id, row.classification_code): tuple(row[2:]) for row in session.execute(sa.select(
        r.person_id, r.classification_code, r.status, r.status_as_of, r.placed_on, r.group_started_on,
        r.closed_on, r.anticipated_advancement_on, r.lapses_on))}


def run_sweep(session, catalog, as_of: date, full: bool) -> tuple[int, list]:
    evaluated, events = 0, []
    for tally, batch_events in sweep.batches(session, catalog, as_of, Actor.system(), OFFSETS, full=full):
        evaluated += tally.evaluated
        events += batch_events
        session.commit()
    return evaluated, events


# --- the incremental sweep is the full sweep, day after day -----------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(people())
def test_day_after_day_the_sweep_of_what_is_due_leaves_what_a_full_sweep_leaves(history):
    full, incremental = database(), database()
    fill(full, history, upto=0)
    fill(incremental, history, upto=0)
    with full() as a, incremental() as b:
        catalog_a, catalog_b = current_catalog(a), current_catalog(b)
        evaluated_a = evaluated_b = 0
        for offset in range(DAYS):
            as_of = day(offset)
            for person, _records, facts in history:  # a fact arrives: its person is re-evaluated at once
                arriving = [(model, row) for arrives, model, row in facts if arrives == offset and offset > 0]
                if not arriving:
                    continue
                for session in (a, b):
                    for model, row in arriving:
                        session.execute(sa.insert(model), [row])
                events = [reevaluate_people(s, c, [person["person_id"]], as_of, offsets=OFFSETS)[1]
                          for s, c in ((a, catalog_a), (b, catalog_b))]
                a.commit()
                b.commit()
                assert plain(events[0]) == plain(events[1]), as_of
            count_a, events_a = run_sweep(a, catalog_a, as_of, full=True)
            count_b, events_b = run_sweep(b, catalog_b, as_of, full=False)
            evaluated_a += count_a
            evaluated_b += count_b
            assert plain(events_b) == plain(events_a), as_of
            assert states(b) == states(a), as_of
        assert evaluated_b <= evaluated_a


# --- a day on which nothing changed ----------------------------------------------------------------

def setup_day(history):
    sessions = database()
    fill(sessions, history, upto=None)
    return sessions


def statements(session) -> list[str]:
    seen: list[str] = []
    sa.event.listen(session.get_bind(), "before_cursor_execute",
                    lambda conn, cursor, statement, *args: seen.append(statement.split()[0].upper()))
    return seen


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(people())
def test_a_sweep_on_a_day_nothing_changed_reads_the_due_records_and_writes_nothing(history):
    sessions = setup_day(history)
    with sessions() as session:
        catalog = current_catalog(session)
        run_sweep(session, catalog, day(0), full=True)
        seen = statements(session)
        evaluated, events = run_sweep(session, catalog, day(0), full=False)  # again the same day
        assert (evaluated, events) == (0, [])
        assert not [s for s in seen if s in ("UPDATE", "INSERT", "DELETE")]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(people(), st.integers(1, 60))
def test_the_next_days_sweep_re_evaluates_exactly_the_records_due_by_then(history, later):
    sessions = setup_day(history)
    with sessions() as session:
        catalog = current_catalog(session)
        run_sweep(session, catalog, day(0), full=True)
        r = ClassificationRecord
        assert not session.scalar(sa.select(sa.func.count()).where(r.next_review_on.is_(None)))
        due = session.scalar(sa.select(sa.func.count()).where(r.closed_on.is_(None), r.next_review_on <= day(later)))
        evaluated, events = run_sweep(session, catalog, day(later), full=False)
        # and the record of the group each advancement moves someone up to
        assert evaluated == due + sum(e.event_type == "group_advanced" for e in events)
        assert not session.scalar(sa.select(sa.func.count()).where(
            r.closed_on.is_(None), r.next_review_on <= day(later)))


# --- what resets the schedule ----------------------------------------------------------------------

def one_placed_grip(hp1_expires_on: date | None = None):
    """A grip placed 300 days ago, compliant (HP1 and B taken), swept as of the first day."""
    person_id = uuid.uuid4()
    facts = [(0, Answer, {"person_id": person_id, "question": "supervisor", "answer": False,
                          "answered_on": day(-400)}),
             (0, Completion, {"person_id": person_id, "course_code": "HP1", "completed_on": day(-100),
                              "expires_on": hp1_expires_on}),
             (0, Completion, {"person_id": person_id, "course_code": "B", "completed_on": day(-250),
                              "expires_on": None})]
    history = [({"person_id": person_id, "il_number": "0000000001", "first_name": "Pat", "last_name": "Grip",
                 "registered_at": NOW},
                [{"id": uuid.uuid4(), "person_id": person_id, "classification_code": "80-GRIP", "local": "80",
                  "applied_on": day(-400), "placed_on": day(-300), "status": "", "status_as_of": day(-1),
                  "updated_at": NOW}], facts)]
    sessions = setup_day(history)
    with sessions() as session:
        catalog = current_catalog(session)
        run_sweep(session, catalog, day(0), full=True)
        session.commit()
    return sessions


def test_a_new_version_of_the_rules_makes_every_record_due():
    sessions = one_placed_grip()
    with sessions() as session:
        catalog = current_catalog(session)
        assert run_sweep(session, catalog, day(1), full=False)[0] == 0
        text = open(next(p for p, _ in shipped() if str(p).endswith("80.yml"))).read()
        from rosters.rulebook import publish_version
        publish_version(session, text.replace("version: 2", "version: 3", 1).replace(
            "effective: 2024-01-01", f"effective: {day(1).isoformat()}", 1), Actor.system())
        session.commit()
        assert run_sweep(session, current_catalog(session), day(1), full=False)[0] == 1


def test_a_version_taking_effect_later_is_a_review_date():
    sessions = one_placed_grip()
    with sessions() as session:
        text = open(next(p for p, _ in shipped() if str(p).endswith("80.yml"))).read()
        from rosters.rulebook import publish_version
        publish_version(session, text.replace("version: 2", "version: 3", 1).replace(
            "effective: 2024-01-01", f"effective: {day(20).isoformat()}", 1), Actor.system())
        session.commit()
        run_sweep(session, current_catalog(session), day(1), full=False)
        assert session.scalar(sa.select(ClassificationRecord.next_review_on)) <= day(20)


def test_another_reminder_schedule_makes_every_record_due():
    sessions = one_placed_grip()
    with sessions() as session:
        catalog = current_catalog(session)
        evaluated = sum(t.evaluated for t, _ in sweep.batches(session, catalog, day(1), Actor.system(),
                                                             (90, 30, 0), full=False))
        assert evaluated == 1


def test_a_staff_sweep_of_another_day_re_evaluates_everything(monkeypatch):
    sessions = one_placed_grip()
    monkeypatch.setattr(sweep, "today", lambda: day(1))
    with sessions() as session:
        catalog = current_catalog(session)
        assert sum(t.evaluated for t, _ in sweep.batches(session, catalog, day(1), Actor.system(), OFFSETS)) == 0
        assert sum(t.evaluated for t, _ in sweep.batches(session, catalog, day(5), Actor.system(), OFFSETS)) == 1
        session.rollback()
        assert sum(t.evaluated for t, _ in sweep.batches(session, catalog, day(-30), Actor.system(), OFFSETS)) == 1


def test_a_record_evaluated_as_of_a_later_day_is_due_on_an_earlier_one():
    sessions = one_placed_grip(hp1_expires_on=day(4))
    with sessions() as session:
        catalog = current_catalog(session)
        assert session.scalar(sa.select(ClassificationRecord.status)) == "approaching_deadline"
        run_sweep(session, catalog, day(10), full=True)     # a staff sweep of a day ahead
        assert session.scalar(sa.select(ClassificationRecord.status)) == "not_compliant"
        assert run_sweep(session, catalog, day(1), full=False)[0] == 1
        assert session.scalar(sa.select(ClassificationRecord.status)) == "approaching_deadline"


def test_a_record_is_next_due_on_its_next_reminder_or_change_and_unchanged_till_then():
    sessions = one_placed_grip(hp1_expires_on=day(80))
    with sessions() as session:
        catalog = current_catalog(session)
        record = session.scalar(sa.select(ClassificationRecord))
        assert (record.status, record.status_as_of, record.next_review_on) == ("compliant", day(0), day(20))
        seen = statements(session)
        run_sweep(session, catalog, day(5), full=True)       # everything evaluated: nothing to write
        assert not [s for s in seen if s in ("UPDATE", "INSERT")]
        assert run_sweep(session, catalog, day(19), full=False)[0] == 0
        evaluated, events = run_sweep(session, catalog, day(20), full=False)
        assert evaluated == 1 and [e.days_left for e in events] == [60]  # the 60-day reminder
        session.refresh(record)
        assert (record.status, record.status_as_of, record.next_review_on) == ("compliant", day(20), day(50))
        evaluated, events = run_sweep(session, catalog, day(50), full=False)
        assert {e.event_type for e in events} == {"status_changed", "deadline_approaching"}
        session.refresh(record)
        assert (record.status, record.status_as_of) == ("approaching_deadline", day(50))


def test_a_closed_record_is_never_due():
    sessions = one_placed_grip()
    with sessions() as session:
        record = session.scalar(sa.select(ClassificationRecord))
        record.closed_on, record.next_review_on = day(0), None
        session.commit()
        assert run_sweep(session, current_catalog(session), day(1), full=False)[0] == 0
        assert NEVER > day(10_000)


# --- through the service: facts re-evaluate at once, so the day's sweep has nothing left ------------

def test_each_new_fact_re_evaluates_its_person_and_the_days_sweep_then_leaves_them_alone(rosters):
    from common.clock import today
    from common.events.documents import DocumentReviewed
    from common.events.training import CourseCompleted

    service, session, published = rosters
    now, staff = today(), {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
    person_id = uuid.uuid4()
    session.add(Person(person_id=person_id, il_number="0000000042", first_name="Pat", last_name="Grip",
                       registered_at=NOW))
    session.add(Answer(person_id=person_id, question="supervisor", answer=False,
                       answered_on=now - timedelta(days=400)))
    session.add(Completion(person_id=person_id, course_code="B", completed_on=now - timedelta(days=250)))
    session.add(ClassificationRecord(id=uuid.uuid4(), person_id=person_id, classification_code="80-GRIP", local="80",
                                     applied_on=now - timedelta(days=400), placed_on=now - timedelta(days=300),
                                     status="", status_as_of=now - timedelta(days=1), updated_at=NOW))
    session.commit()
    assert service.run_sweep(now.isoformat(), staff)["evaluated"] == 1  # never reviewed: due
    record = session.scalar(sa.select(ClassificationRecord))
    assert record.status == "not_compliant"       # no harassment prevention course yet
    assert service.run_sweep(now.isoformat(), staff)["evaluated"] == 0
    service.handle_course_completed(CourseCompleted(
        person_id=person_id, course_code="HP1", completed_on=now, expires_on=now + timedelta(days=45),
    ).model_dump(mode="json"))
    session.refresh(record)
    # compliant at once; due again in 15 days: the 30-day reminder, and the expiry inside the warning window
    assert (record.status, record.status_as_of) == ("compliant", now)
    assert record.next_review_on == now + timedelta(days=15)
    assert service.run_sweep(now.isoformat(), staff)["evaluated"] == 0
    service.handle_document_reviewed(DocumentReviewed(
        document_id=uuid.uuid4(), person_id=person_id, document_type="cdl_class_a", decision="approved",
        reviewed_on=now).model_dump(mode="json"))
    assert service.run_sweep(now.isoformat(), staff)["evaluated"] == 0   # re-evaluated with the fact
    imposed = service.impose_suspension({"person_id": str(person_id), "classification_code": "80-GRIP",
                                         "reason": "Paperwork", "starts_on": (now + timedelta(days=3)).isoformat()},
                                        staff)
    assert imposed
    session.refresh(record)
    assert record.next_review_on <= now + timedelta(days=3)   # the suspension begins then
    assert service.run_sweep(now.isoformat(), staff)["evaluated"] == 0
    assert service.run_sweep(now.isoformat(), staff, True)["evaluated"] == 1  # a full one, when asked
    assert any(e.event_type == "status_changed" for e in published)
