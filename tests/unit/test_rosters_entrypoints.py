"""The rosters service's entrypoints with nameko's worker_factory on a real session: each
validates, calls the domain, publishes the domain's events and commits. No broker."""
from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

import pytest
import sqlalchemy as sa
from rosters.models import Answer, ClassificationRecord, Person, WorkDay

from common.clock import today
from common.errors import ServiceUnavailable
from common.events.accounts import PersonRegistered
from common.events.documents import DocumentReviewed
from common.events.training import CourseCompleted, Enrolled
from common.identity import normalise_ssn, ssn_index
from tests.support.factories import make_ssn

TODAY = today()
IP = {"roles": ["industry_professional"]}
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}




def make_known_person(**overrides) -> dict:
    person_id = uuid.uuid4()
    person = {"person_id": person_id, "il_number": f"{person_id.int % 10**10:010d}", "first_name": "Pat",
              "last_name": "Grip"}
    person.update(overrides)
    return person


def at(day: date) -> datetime:
    return datetime.combine(day, clock_time(12)).astimezone(UTC)


def types(published) -> list[str]:
    return [e.event_type for e in published]


def register(service, person: dict, ssn: str | None = None) -> None:
    service.handle_person_registered(PersonRegistered(
        person_id=person["person_id"], il_number=person["il_number"], first_name=person["first_name"],
        last_name=person["last_name"], ssn_index=ssn_index(normalise_ssn(ssn)) if ssn else None
    ).model_dump(mode="json"))


# --- applying before accounts.person_registered arrives -----------------------------------------

def test_applying_before_the_person_is_known_makes_their_entry_at_once_and_the_event_fills_it_in(rosters):
    service, session, published = rosters
    person, ssn = make_known_person(), make_ssn()
    known = {k: person[k] for k in ("il_number", "first_name", "last_name")}
    record = service.apply(str(person["person_id"]), "80-GRIP", IP, known)
    assert record["status"] == "in_progress_not_training_eligible"
    assert types(published)[:2] == ["application_started", "status_changed"]
    assert session.get(Person, person["person_id"]).il_number == person["il_number"]

    report = service.ingest_payroll([{"ssn": ssn, "last_name": "Grip", "first_name": "Pat", "employer": "Sony",
                                      "classification_code": "80-GRIP", "work_date": TODAY.isoformat(),
                                      "hours": 10}], None, {"roles": ["payroll_client"]})
    assert report["held"] == 1, report
    assert session.scalars(sa.select(WorkDay)).one().person_id is None  # held: no SSN known yet
    register(service, person, ssn)  # the event, later: an upsert that brings the SSN's index
    entry = session.get(Person, person["person_id"])
    assert entry.ssn_index == ssn_index(normalise_ssn(ssn))
    assert session.scalars(sa.select(WorkDay)).one().person_id == person["person_id"]
    assert service.my_classification(str(person["person_id"]), "80-GRIP")["status"] == "in_progress_training_eligible"


def test_applying_as_someone_unknown_without_their_facts_answers_try_again_without_waiting(rosters):
    service, session, published = rosters
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="try again in a moment"):
        service.apply(str(uuid.uuid4()), "80-GRIP", IP)
    assert time.monotonic() - started < 1
    assert published == [] and session.scalars(sa.select(ClassificationRecord)).all() == []


# --- dated facts ------------------------------------------------------------------------------

def test_a_day_staff_verify_counts_from_the_day_it_is_verified(rosters):
    service, session, published = rosters
    person = make_known_person()
    register(service, person)
    service.submit_work_days(str(person["person_id"]), {"days": [{
        "work_date": (TODAY - timedelta(days=10)).isoformat(), "classification_code": "80-GRIP",
        "employer": "Sony"}]}, IP)
    day = session.scalars(sa.select(WorkDay)).one()
    assert day.verified_on is None
    service.verify_work_day(str(day.id), "approve", None, STAFF)
    assert session.get(WorkDay, day.id).verified_on == TODAY


def test_a_changed_questionnaire_answer_is_a_new_dated_fact(rosters):
    service, session, _ = rosters
    person = make_known_person()
    register(service, person)
    for on, answer in ((TODAY - timedelta(days=30), False), (TODAY - timedelta(days=2), True),
                       (TODAY - timedelta(days=2), True)):
        service.handle_enrolled(Enrolled(enrollment_id=uuid.uuid4(), person_id=person["person_id"],
                                         course_code="HP1", answers={"supervisor": answer},
                                         occurred_at=at(on)).model_dump(mode="json"))
    rows = session.scalars(sa.select(Answer).order_by(Answer.answered_on)).all()
    assert [(a.answered_on, a.answer) for a in rows] == [(TODAY - timedelta(days=30), False),
                                                        (TODAY - timedelta(days=2), True)]


# --- deadline warnings say whether the person is placed ------------------------------------------

def test_a_deadline_warning_to_an_applicant_says_they_are_not_placed(rosters):
    service, session, published = rosters
    person = make_known_person()
    register(service, person)
    service.apply(str(person["person_id"]), "399-DRIVER-G3", IP)
    service.handle_document_reviewed(DocumentReviewed(
        document_id=uuid.uuid4(), person_id=person["person_id"], document_type="dot_medical_certificate",
        decision="approved", expires_on=TODAY + timedelta(days=20), reviewed_on=TODAY).model_dump(mode="json"))
    [warning] = [e for e in published if e.event_type == "deadline_approaching"]
    assert warning.placed is False and warning.due_on == TODAY + timedelta(days=20)


# --- staff suspensions and withdrawals --------------------------------------------------------------

def placed_grip(service, session, placed_on: date) -> dict:
    person = make_known_person()
    register(service, person)
    service.handle_enrolled(Enrolled(enrollment_id=uuid.uuid4(), person_id=person["person_id"], course_code="HP1",
                                     answers={"supervisor": False}, occurred_at=at(placed_on)).model_dump(mode="json"))
    service.handle_course_completed(CourseCompleted(person_id=person["person_id"], course_code="HP1",
                                                    completed_on=placed_on).model_dump(mode="json"))
    session.add(ClassificationRecord(id=uuid.uuid4(), person_id=person["person_id"], classification_code="80-GRIP",
                                     local="80", applied_on=placed_on, placed_on=placed_on, status="compliant",
                                     status_as_of=placed_on, updated_at=datetime.now(UTC)))
    session.commit()
    return person


def test_staff_suspend_a_member_and_lift_it_with_audit_and_events(rosters):
    service, session, published = rosters
    person = placed_grip(service, session, TODAY - timedelta(days=100))
    published.clear()
    imposed = service.impose_suspension({"person_id": str(person["person_id"]), "classification_code": "80-grip",
                                         "reason": "Safety incident on set",
                                         "starts_on": (TODAY - timedelta(days=5)).isoformat()}, STAFF)
    assert (imposed["record_status"], imposed["ends_on"], imposed["kind"]) == ("not_compliant", None, "suspension")
    assert types(published) == ["status_changed", "suspended"]
    assert published[1].requirements == ["Suspended by Contract Services"]
    record = service.my_classification(str(person["person_id"]), "80-GRIP")
    assert record["rows"][0]["detail"].endswith("Safety incident on set")

    published.clear()
    lifted = service.lift_suspension(imposed["suspension_id"], {}, STAFF)
    assert lifted["record_status"] == "compliant" and lifted["ends_on"] == (TODAY - timedelta(days=1)).isoformat()
    assert types(published) == ["status_changed", "reinstated"]
    timeline = service.my_classification(str(person["person_id"]), "80-GRIP")["timeline"]
    assert [t["compliant"] for t in timeline] == [True, False, True]
    actions = session.execute(sa.text("SELECT action FROM audit_log ORDER BY id")).scalars().all()
    assert {"suspension.imposed", "suspension.lifted"} <= set(actions)


def test_only_staff_suspend_and_a_suspension_is_lifted_once(rosters):
    from common.errors import Conflict, Forbidden

    service, session, _ = rosters
    person = placed_grip(service, session, TODAY - timedelta(days=10))
    payload = {"person_id": str(person["person_id"]), "classification_code": "80-GRIP", "reason": "x",
               "kind": "withdrawal"}
    with pytest.raises(Forbidden):
        service.impose_suspension(payload, IP)
    imposed = service.impose_suspension(payload, STAFF)
    with pytest.raises(Conflict):
        service.impose_suspension(payload, STAFF)
    service.lift_suspension(imposed["suspension_id"], None, STAFF)
    with pytest.raises(Conflict):
        service.lift_suspension(imposed["suspension_id"], None, STAFF)


def test_staff_see_a_persons_suspensions_newest_first_with_the_records_status(rosters):
    from common.errors import Forbidden

    service, session, _ = rosters
    person = placed_grip(service, session, TODAY - timedelta(days=100))
    payload = {"person_id": str(person["person_id"]), "classification_code": "80-GRIP", "reason": "First"}
    first = service.impose_suspension({**payload, "starts_on": (TODAY - timedelta(days=20)).isoformat()}, STAFF)
    service.lift_suspension(first["suspension_id"], {"lifted_on": (TODAY - timedelta(days=10)).isoformat()}, STAFF)
    second = service.impose_suspension({**payload, "reason": "Second"}, STAFF)

    listed = service.list_suspensions(str(person["person_id"]), STAFF)["suspensions"]

    assert [s["suspension_id"] for s in listed] == [second["suspension_id"], first["suspension_id"]]
    assert listed[0]["ends_on"] is None and listed[1]["ends_on"] == (TODAY - timedelta(days=11)).isoformat()
    assert {s["record_status"] for s in listed} == {"not_compliant"}
    with pytest.raises(Forbidden):
        service.list_suspensions(str(person["person_id"]), IP)
