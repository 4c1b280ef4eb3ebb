"""The training service's entrypoints with nameko's worker_factory on an in-memory database and the
shipped course catalog: eligibility from the classification records rosters announced,
prerequisites, the HP questionnaire, online courses with their quiz and retake limit, in-person
sessions with their waitlist, staff completions, expiry and the transcript. No broker."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory
from training import eligibility
from training.courses import load_courses
from training.models import Completion, CourseSession, Enrollment, LearnerRecord
from training.service import TrainingService

from common.clock import today
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from common.events.accounts import PersonRegistered
from common.events.rosters import ApplicationStarted, GroupAdvanced, PlacedOnRoster, StatusChanged
from common.events.training import CompletionExpired, CourseCompleted, Enrolled, PromotedFromWaitlist
from tests.support.databases import memory_sessions

TODAY = today()
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
GRIP = "80-GRIP"


@pytest.fixture(scope="module")
def catalog():
    return load_courses()


@pytest.fixture
def training(catalog):
    """(service, session, published)."""
    with memory_sessions("training")() as session:
        published = []
        service = worker_factory(TrainingService, db=session, publish=published.append, courses=catalog)
        yield service, session, published


def ip(person_id) -> dict:
    return {"account_id": str(uuid.uuid4()), "person_id": str(person_id), "roles": ["industry_professional"]}


def person(service, first_name="Pat") -> uuid.UUID:
    person_id = uuid.uuid4()
    service.handle_person_registered(PersonRegistered(
        person_id=person_id, il_number=f"{person_id.int % 10**10:010d}", first_name=first_name,
        last_name="Grip").model_dump(mode="json"))
    return person_id


def applied(service, person_id, code=GRIP, status="in_progress_not_training_eligible") -> None:
    service.handle_application_started(ApplicationStarted(person_id=person_id, classification_code=code,
                                                          local="80").model_dump(mode="json"))
    service.handle_status_changed(StatusChanged(person_id=person_id, classification_code=code, old_status=None,
                                                new_status=status, as_of=TODAY).model_dump(mode="json"))


def eligible(service, code=GRIP) -> uuid.UUID:
    person_id = person(service)
    applied(service, person_id, code, "in_progress_training_eligible")
    return person_id


def placed(service, person_id, code=GRIP) -> None:
    service.handle_placed_on_roster(PlacedOnRoster(person_id=person_id, classification_code=code, placed_on=TODAY,
                                                   local="80").model_dump(mode="json"))
    service.handle_status_changed(StatusChanged(person_id=person_id, classification_code=code,
                                                old_status="in_progress_training_eligible", new_status="compliant",
                                                as_of=TODAY).model_dump(mode="json"))


def course_row(service, person_id, code) -> dict:
    return next(c for c in service.my_training(str(person_id))["courses"] if c["course_code"] == code)


def complete(service, person_id, code, on=TODAY) -> dict:
    return service.record_completion({"person_id": str(person_id), "course_code": code,
                                      "completed_on": on.isoformat(), "source": "staff"}, STAFF)


def right_answers(catalog, code) -> dict:
    return {q.id: q.answer for q in catalog.get(code).quiz.questions}


def finish_modules(service, catalog, person_id, enrollment_id, code) -> None:
    for module in catalog.get(code).content.modules:
        service.save_progress(str(person_id), enrollment_id, {"module": module.id}, ip(person_id))


def of_type(published, kind) -> list:
    return [e for e in published if isinstance(e, kind)]


# --- eligibility and prerequisites --------------------------------------------------------------------

def test_nobody_may_take_application_training_before_applying(training):
    service, _, _ = training
    row = course_row(service, person(service), "A")
    assert row["may_enroll"] is False
    assert row["unlocks_with"] == ("Apply for a classification, then report one verified work day in your "
                                   "classification.")


def test_an_applicant_without_a_verified_day_is_told_to_report_one(training):
    service, _, _ = training
    person_id = person(service)
    applied(service, person_id)
    row = course_row(service, person_id, "A")
    assert (row["may_enroll"], row["unlocks_with"]) == (False, "Report one verified work day in your classification.")
    with pytest.raises(Conflict) as refused:
        service.enroll(str(person_id), {"course_code": "A"}, ip(person_id))
    assert refused.value.details["unlocks_with"] == "Report one verified work day in your classification."


def test_a_training_list_applicant_may_take_harassment_prevention_at_once(training):
    # journey 5: Local #839's training list has no work-day requirement (seed 003)
    service, _, _ = training
    person_id = person(service)
    service.handle_application_started(ApplicationStarted(
        person_id=person_id, classification_code="839-ANIMATION", local="839", roster="training_list",
    ).model_dump(mode="json"))
    service.handle_status_changed(StatusChanged(
        person_id=person_id, classification_code="839-ANIMATION", old_status=None,
        new_status="in_progress_not_training_eligible", as_of=TODAY).model_dump(mode="json"))

    enrolled = service.enroll(str(person_id), {"course_code": "HP", "answers": {"supervisor": False}},
                              ip(person_id))

    assert enrolled["course_code"] == "HP1" and enrolled["status"] == "enrolled"
    assert course_row(service, person_id, "B")["may_enroll"] is False  # craft courses wait for placement


def test_training_eligible_unlocks_application_courses_but_not_craft_courses(training):
    service, _, _ = training
    person_id = eligible(service)
    assert course_row(service, person_id, "A")["may_enroll"] is True
    assert course_row(service, person_id, "C19")["may_enroll"] is True
    craft = course_row(service, person_id, "B")
    assert craft["may_enroll"] is False and "placed on a roster or a training list" in craft["why_not"]


def test_craft_courses_need_a_placement_then_a_then_harassment_prevention(training):
    service, _, _ = training
    person_id = eligible(service)
    placed(service, person_id)
    assert course_row(service, person_id, "B")["unlocks_with"] == "Finish course A first."
    complete(service, person_id, "A")
    assert course_row(service, person_id, "B")["unlocks_with"] == (
        "Finish Harassment Prevention Training (HP1 or HP2) first.")
    complete(service, person_id, "HP2")
    assert course_row(service, person_id, "B")["may_enroll"] is True
    assert course_row(service, person_id, "FORKLIFT")["may_enroll"] is True


def test_an_expired_prerequisite_must_be_renewed_first(training):
    service, _, _ = training
    person_id = eligible(service)
    placed(service, person_id)
    complete(service, person_id, "A")
    complete(service, person_id, "HP1", TODAY - timedelta(days=800))
    row = course_row(service, person_id, "B")
    assert row["may_enroll"] is False and "expired" in row["why_not"]


def test_the_projection_keeps_the_newest_status_when_events_arrive_out_of_order(training):
    service, session, _ = training
    person_id = person(service)
    newer = StatusChanged(person_id=person_id, classification_code=GRIP, old_status="x",
                          new_status="in_progress_training_eligible", as_of=TODAY)
    older = StatusChanged(person_id=person_id, classification_code=GRIP, old_status=None,
                          new_status="in_progress_not_training_eligible", as_of=TODAY,
                          occurred_at=newer.occurred_at - timedelta(seconds=5))
    service.handle_status_changed(newer.model_dump(mode="json"))
    service.handle_status_changed(older.model_dump(mode="json"))
    service.handle_status_changed(older.model_dump(mode="json"))  # delivered twice: applied once
    assert session.get(LearnerRecord, (person_id, GRIP)).status == "in_progress_training_eligible"
    assert course_row(service, person_id, "A")["may_enroll"] is True


def test_advancing_a_group_keeps_craft_courses_open(training):
    service, session, _ = training
    person_id = eligible(service, "399-DRIVER-G3")
    placed(service, person_id, "399-DRIVER-G3")
    service.handle_group_advanced(GroupAdvanced(person_id=person_id, from_classification_code="399-DRIVER-G3",
                                                to_classification_code="399-DRIVER-G2",
                                                as_of=TODAY).model_dump(mode="json"))
    assert session.get(LearnerRecord, (person_id, "399-DRIVER-G2")).placed_on == TODAY
    assert session.get(LearnerRecord, (person_id, "399-DRIVER-G3")).closed is True
    complete(service, person_id, "A")
    complete(service, person_id, "HP1")
    assert course_row(service, person_id, "D1")["may_enroll"] is True


def test_a_current_completion_refuses_a_new_enrollment_until_the_renewal_window(training, catalog):
    service, _, _ = training
    person_id = eligible(service)
    complete(service, person_id, "A")
    with pytest.raises(Conflict) as refused:
        service.enroll(str(person_id), {"course_code": "A"}, ip(person_id))
    assert refused.value.details["reason"] == "already_current"
    assert refused.value.message.startswith(f"You completed A on {TODAY:%m/%d/%Y}")
    complete(service, person_id, "HP1", TODAY - timedelta(days=700))   # valid for 2 years: 30 days left
    renewal = service.enroll(str(person_id), {"course_code": "HP", "answers": {"supervisor": False}}, ip(person_id))
    assert renewal["course_code"] == "HP1" and renewal["status"] == "enrolled"


def test_the_renewal_window_is_counted_in_calendar_terms(catalog):
    expires = date(2025, 6, 1)
    taken = [eligibility.Taken("HP1", date(2023, 6, 2), expires)]
    records = [eligibility.RecordState("in_progress_training_eligible")]
    course = catalog.get("HP1")
    assert eligibility.decide(catalog, course, records, taken, date(2025, 3, 4)).may_enroll is True  # 90 days left
    early = eligibility.decide(catalog, course, records, taken, date(2025, 3, 3))
    assert early.may_enroll is False and early.unlocks_with == "You can take it again from 03/04/2025."
    assert early.why_not == "You completed HP1 on 06/02/2023; it is valid through 06/01/2025."


# --- the questionnaire --------------------------------------------------------------------------------

@pytest.mark.parametrize(("answers", "course"), [
    ({"supervisor": False}, "HP1"),
    ({"supervisor": True}, "HP2"),
    ({"supervisor": False, "leads_a_crew": True}, "HP2"),
])
def test_the_questionnaire_picks_hp1_or_hp2_and_the_answers_go_out_with_the_enrollment(training, answers, course):
    service, session, published = training
    person_id = eligible(service)
    out = service.enroll(str(person_id), {"course_code": "hp", "answers": answers}, ip(person_id))
    assert (out["course_code"], out["status"]) == (course, "enrolled")
    [event] = of_type(published, Enrolled)
    assert event.course_code == course and event.answers["supervisor"] is (course == "HP2")
    assert event.answers == {**answers, "supervisor": course == "HP2"}
    assert session.get(Enrollment, uuid.UUID(out["id"])).answers == answers   # kept as given


def test_harassment_prevention_needs_the_questionnaire_answered(training):
    service, _, _ = training
    person_id = eligible(service)
    with pytest.raises(ValidationFailed, match="questionnaire"):
        service.enroll(str(person_id), {"course_code": "HP"}, ip(person_id))
    with pytest.raises(ValidationFailed, match="supervisor"):
        service.enroll(str(person_id), {"course_code": "HP", "answers": {"leads_a_crew": False}}, ip(person_id))
    with pytest.raises(ValidationFailed, match="not a question"):
        service.enroll(str(person_id), {"course_code": "HP", "answers": {"supervisor": False, "x": True}},
                       ip(person_id))
    with pytest.raises(Conflict, match="call for HP2"):
        service.enroll(str(person_id), {"course_code": "HP1", "answers": {"supervisor": True}}, ip(person_id))


def test_the_catalog_shows_the_questionnaire_on_both_harassment_courses(training):
    service, _, _ = training
    courses = {c["code"]: c for c in service.list_courses()["courses"]}
    assert courses["HP1"]["questionnaire"]["code"] == "HP" and courses["HP2"]["duration_minutes"] == 120
    assert courses["HP1"]["refresher"] == {"years": 2} and courses["HP1"]["duration_minutes"] == 60
    assert courses["FORKLIFT"]["location"].startswith("Contract Services Training Center, 2710 Winona Avenue")


# --- online: modules, progress and the quiz ------------------------------------------------------------

def test_progress_is_saved_per_module_and_the_quiz_never_carries_its_answers(training, catalog):
    service, _, _ = training
    person_id = eligible(service)
    enrollment = service.enroll(str(person_id), {"course_code": "A"}, ip(person_id))
    again = service.enroll(str(person_id), {"course_code": "A"}, ip(person_id))
    assert again["id"] == enrollment["id"]   # an open enrollment is resumed, not doubled
    service.save_progress(str(person_id), enrollment["id"], {"module": "a-2"}, ip(person_id))
    service.save_progress(str(person_id), enrollment["id"], {"module": "a-2"}, ip(person_id))
    detail = service.get_enrollment(str(person_id), enrollment["id"])
    assert [m["done"] for m in detail["modules"]] == [False, True, False, False]
    assert detail["pass_mark"] == 80 and detail["attempts_left"] == 3
    assert all(set(q) == {"id", "text", "choices"} for q in detail["quiz"])
    assert "answer" not in repr(detail["quiz"])
    with pytest.raises(ValidationFailed):
        service.save_progress(str(person_id), enrollment["id"], {"module": "nope"}, ip(person_id))
    with pytest.raises(NotFound):   # someone else's enrollment does not exist for them
        service.get_enrollment(str(person(service)), enrollment["id"])


def test_the_quiz_waits_for_every_module(training):
    service, _, _ = training
    person_id = eligible(service)
    enrollment = service.enroll(str(person_id), {"course_code": "A"}, ip(person_id))
    with pytest.raises(Conflict, match="Finish every module"):
        service.submit_quiz(str(person_id), enrollment["id"], {"answers": {}}, ip(person_id))


def test_a_failed_quiz_names_the_wrong_questions_and_the_retake_limit_holds(training, catalog):
    service, session, published = training
    person_id = eligible(service)
    enrollment = service.enroll(str(person_id), {"course_code": "A"}, ip(person_id))
    finish_modules(service, catalog, person_id, enrollment["id"], "A")
    answers = right_answers(catalog, "A")
    answers["a-q1"], answers["a-q3"] = 0, 2
    for left in (2, 1, 0):
        result = service.submit_quiz(str(person_id), enrollment["id"], {"answers": answers}, ip(person_id))
        assert (result["passed"], result["score"], result["wrong"], result["attempts_left"]) == (
            False, 67, ["a-q1", "a-q3"], left)
    assert session.get(Enrollment, uuid.UUID(enrollment["id"])).status == "failed"
    with pytest.raises(Conflict, match="This enrollment is failed"):
        service.submit_quiz(str(person_id), enrollment["id"], {"answers": right_answers(catalog, "A")}, ip(person_id))
    assert not of_type(published, CourseCompleted)
    fresh = service.enroll(str(person_id), {"course_code": "A"}, ip(person_id))   # starts the course over
    assert fresh["id"] != enrollment["id"]


def test_the_retake_limit_is_data(catalog):
    assert catalog.max_attempts(catalog.get("A")) == 3
    assert catalog.max_attempts(catalog.get("HP1")) == catalog.default_max_attempts == 3


def test_quiz_answers_must_fit_the_questions(training, catalog):
    service, _, _ = training
    person_id = eligible(service)
    enrollment = service.enroll(str(person_id), {"course_code": "A"}, ip(person_id))
    finish_modules(service, catalog, person_id, enrollment["id"], "A")
    with pytest.raises(ValidationFailed):
        service.submit_quiz(str(person_id), enrollment["id"], {"answers": {"a-q1": 9}}, ip(person_id))
    with pytest.raises(ValidationFailed):
        service.submit_quiz(str(person_id), enrollment["id"], {"answers": {"zz": 0}}, ip(person_id))
    assert service.get_enrollment(str(person_id), enrollment["id"])["attempts_left"] == 3


def test_passing_hp1_records_a_completion_valid_for_two_calendar_years(training, catalog):
    service, _, published = training
    person_id = eligible(service)
    enrollment = service.enroll(str(person_id), {"course_code": "HP", "answers": {"supervisor": False}},
                                ip(person_id))
    finish_modules(service, catalog, person_id, enrollment["id"], "HP1")
    answers = right_answers(catalog, "HP1")
    answers["hp1-q2"] = 0  # one wrong of six: 83%, over the pass mark
    result = service.submit_quiz(str(person_id), enrollment["id"], {"answers": answers}, ip(person_id))
    assert (result["passed"], result["score"], result["wrong"]) == (True, 83, ["hp1-q2"])
    expires = catalog.get("HP1").refresher.add_to(TODAY) - timedelta(days=1)
    assert result["completion"]["expires_on"] == expires.isoformat()
    [event] = of_type(published, CourseCompleted)
    assert (event.course_code, event.completed_on, event.expires_on, event.score, event.completion_source) == (
        "HP1", TODAY, expires, 83, "online")
    assert service.get_enrollment(str(person_id), enrollment["id"])["status"] == "completed"
    row = course_row(service, person_id, "HP1")
    assert row["current"] is True and row["may_enroll"] is False


# --- in-person sessions: seats, waitlist, attendance ----------------------------------------------------

def schedule(service, capacity=1, code="FORKLIFT") -> dict:
    return service.schedule_session({"course_code": code, "location": "2710 Winona Avenue, Burbank",
                                     "starts_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
                                     "capacity": capacity}, STAFF)


def ready_for_craft(service) -> uuid.UUID:
    person_id = eligible(service)
    placed(service, person_id)
    complete(service, person_id, "A")
    complete(service, person_id, "HP1")
    return person_id


def test_a_full_session_keeps_a_waitlist_in_order_and_a_cancellation_promotes_the_first(training):
    service, _, published = training
    session_id = schedule(service, capacity=1)["id"]
    first, second, third = (ready_for_craft(service) for _ in range(3))
    seat = service.enroll(str(first), {"course_code": "FORKLIFT", "session_id": session_id}, ip(first))
    two = service.enroll(str(second), {"course_code": "FORKLIFT", "session_id": session_id}, ip(second))
    three = service.enroll(str(third), {"course_code": "FORKLIFT", "session_id": session_id}, ip(third))
    assert [(e["status"], e["waitlist_position"]) for e in (seat, two, three)] == [
        ("enrolled", None), ("waitlisted", 1), ("waitlisted", 2)]
    assert [e.status for e in of_type(published, Enrolled)] == ["enrolled", "waitlisted", "waitlisted"]
    detail = service.get_course("forklift")
    assert [(s["seats_left"], s["waitlisted"]) for s in detail["sessions"]] == [(0, 2)]

    cancelled = service.cancel_enrollment(str(first), seat["id"], ip(first))
    assert cancelled["status"] == "cancelled"
    [promoted] = of_type(published, PromotedFromWaitlist)
    assert (promoted.person_id, str(promoted.enrollment_id)) == (second, two["id"])
    assert service.get_enrollment(str(second), two["id"])["status"] == "enrolled"
    assert service.get_enrollment(str(third), three["id"])["waitlist_position"] == 1
    roster = service.get_session(session_id, STAFF)
    assert (roster["seats_left"], roster["waitlisted"]) == (0, 1)
    assert [(s["status"], s["waitlist_position"]) for s in roster["seats"] if s["status"] != "cancelled"] == [
        ("enrolled", None), ("waitlisted", 1)]

    service.cancel_enrollment(str(third), three["id"], ip(third))   # leaving the waitlist promotes nobody
    service.cancel_enrollment(str(second), two["id"], ip(second))   # nobody waiting: the seat is free again
    assert len(of_type(published, PromotedFromWaitlist)) == 1
    assert service.get_session(session_id, STAFF)["seats_left"] == 1
    with pytest.raises(Conflict, match="already cancelled"):
        service.cancel_enrollment(str(second), two["id"], ip(second))


def test_in_person_courses_need_an_upcoming_session_of_that_course(training):
    service, session, _ = training
    person_id = ready_for_craft(service)
    with pytest.raises(ValidationFailed, match="session"):
        service.enroll(str(person_id), {"course_code": "FORKLIFT"}, ip(person_id))
    other = schedule(service, code="AERIAL_LIFT")["id"]
    with pytest.raises(NotFound):
        service.enroll(str(person_id), {"course_code": "FORKLIFT", "session_id": other}, ip(person_id))
    with pytest.raises(ValidationFailed, match="online"):
        schedule(service, code="A")
    with pytest.raises(Forbidden):
        service.schedule_session({"course_code": "FORKLIFT", "location": "Burbank", "capacity": 3,
                                  "starts_at": "2030-01-01T09:00:00"}, ip(person_id))


def test_attendance_completes_the_course_in_person(training):
    service, session, published = training
    session_id = schedule(service, capacity=2)["id"]
    came, stayed_home = ready_for_craft(service), ready_for_craft(service)
    one = service.enroll(str(came), {"course_code": "FORKLIFT", "session_id": session_id}, ip(came))
    two = service.enroll(str(stayed_home), {"course_code": "FORKLIFT", "session_id": session_id}, ip(stayed_home))
    with pytest.raises(Conflict, match="on or after"):
        service.record_attendance(session_id, {"attended": [one["id"]]}, STAFF)
    row = session.get(CourseSession, uuid.UUID(session_id))
    row.starts_at = datetime.now(UTC) - timedelta(days=1)
    session.commit()
    roster = service.record_attendance(session_id, {"attended": [one["id"]], "absent": [two["id"]]}, STAFF)
    assert {s["enrollment_id"]: (s["status"], s["attended"]) for s in roster["seats"]} == {
        one["id"]: ("completed", True), two["id"]: ("enrolled", False)}
    [event] = of_type(published, CourseCompleted)[-1:]
    assert (event.person_id, event.course_code, event.completion_source) == (came, "FORKLIFT", "in_person")
    completion = next(c for c in service.transcript(str(came))["completions"] if c["course_code"] == "FORKLIFT")
    assert completion["source"] == "in_person" and completion["completed_on"] == (TODAY - timedelta(days=1)).isoformat()
    with pytest.raises(ValidationFailed):
        service.record_attendance(session_id, {"attended": [str(uuid.uuid4())]}, STAFF)


# --- staff completions, expiry, transcript ---------------------------------------------------------------

def test_staff_completions_refuse_unknown_courses_people_and_future_dates(training):
    service, session, published = training
    person_id = person(service)
    with pytest.raises(NotFound):
        complete(service, person_id, "ZZ")
    with pytest.raises(NotFound, match="person"):
        complete(service, uuid.uuid4(), "A")
    with pytest.raises(ValidationFailed, match="future"):
        complete(service, person_id, "A", TODAY + timedelta(days=1))
    with pytest.raises(Forbidden):
        service.record_completion({"person_id": str(person_id), "course_code": "A",
                                   "completed_on": TODAY.isoformat()}, ip(person_id))
    assert not published
    out = service.record_completion({"person_id": str(person_id), "course_code": "hp2", "completed_on":
                                     TODAY.isoformat(), "source": "Universal Studios programme", "score": 90,
                                     "evidence_document_id": str(uuid.uuid4())}, STAFF)
    assert (out["course_code"], out["source"], out["score"], out["status"]) == (
        "HP2", "Universal Studios programme", 90, "current")
    entry = session.info["base"].AuditEntry
    assert session.scalar(sa.select(entry.action).where(entry.target_id == out["id"])) == "completion.recorded"
    assert of_type(published, CourseCompleted)[0].expires_on is not None


def test_expiry_is_computed_on_every_read_and_the_sweep_announces_it_once(training):
    service, session, published = training
    person_id = eligible(service)
    lapsed = TODAY - timedelta(days=2 * 366 + 3)
    complete(service, person_id, "HP1", lapsed)
    [completion] = service.transcript(str(person_id))["completions"]
    assert completion["status"] == "expired"
    assert course_row(service, person_id, "HP1")["current"] is False
    published.clear()
    assert service.sweep_expired(None, STAFF)["expired"] == 1
    [event] = of_type(published, CompletionExpired)
    assert event.course_code == "HP1"
    assert event.expired_on == date.fromisoformat(completion["expires_on"]) + timedelta(days=1)
    assert service.sweep_expired(None, STAFF)["expired"] == 0
    assert len(of_type(published, CompletionExpired)) == 1


def test_a_refresher_taken_in_time_lapses_nothing(training):
    service, _, published = training
    person_id = eligible(service)
    complete(service, person_id, "HP1", TODAY - timedelta(days=2 * 366 + 3))
    complete(service, person_id, "HP1", TODAY - timedelta(days=60))
    published.clear()
    assert service.sweep_expired(None, STAFF)["expired"] == 0
    assert not published
    assert [c["status"] for c in service.transcript(str(person_id))["completions"]] == ["current", "expired"]


def test_the_daily_sweep_runs_once_per_business_day(training):
    service, session, published = training
    person_id = eligible(service)
    complete(service, person_id, "HP1", TODAY - timedelta(days=2 * 366 + 3))
    published.clear()
    service.daily_expiry_sweep()
    service.daily_expiry_sweep()
    assert len(of_type(published, CompletionExpired)) == 1
    assert session.get(Completion, uuid.UUID(service.transcript(str(person_id))["completions"][0]["id"])
                       ).expired_event_sent_at is not None


def test_the_transcript_names_the_person_and_lists_every_completion_newest_first(training):
    service, _, _ = training
    person_id = eligible(service)
    complete(service, person_id, "A", TODAY - timedelta(days=10))
    complete(service, person_id, "C19", TODAY)
    out = service.transcript(str(person_id))
    assert (out["first_name"], out["last_name"], out["il_number"]) == ("Pat", "Grip", f"{person_id.int % 10**10:010d}")
    assert [(c["course_code"], c["source"], c["expires_on"]) for c in out["completions"]] == [
        ("C19", "staff", None), ("A", "staff", None)]
