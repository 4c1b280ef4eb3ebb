"""Deadline extensions (issue 11) through the rosters entrypoints on a real in-memory database:
asked before the deadline only, approved for a new due date that the requirement then shows,
and the record not out of compliance for it until then; staff-only decisions; the engine's
golden case."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from rosters.engine.evaluate import evaluate
from rosters.engine.facts import Completion, Extension, Facts, Record
from rosters.engine.rules import Classification, Course, Questionnaire
from rosters.models import ClassificationRecord

from common.clock import today
from common.errors import Conflict, Forbidden, ValidationFailed
from common.events.accounts import PersonRegistered
from common.events.training import CourseCompleted, Enrolled

TODAY = today()
DOP = "600-DIRECTOR-OF-PHOTOGRAPHY"
COURSE_B = "Safety Pass course B"
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
IP = {"roles": ["industry_professional"]}


def placed_dop(service, session, placed_on: date) -> str:
    """A placed director of photography with HP1, A, C19 and I done: only course B is due,
    90 days after placement."""
    person_id = uuid.uuid4()
    service.handle_person_registered(PersonRegistered(person_id=person_id, il_number=f"{person_id.int % 10**10:010d}",
                                                      first_name="Dee", last_name="Pee").model_dump(mode="json"))
    service.handle_enrolled(Enrolled(enrollment_id=uuid.uuid4(), person_id=person_id, course_code="HP1",
                                     answers={"supervisor": False},
                                     occurred_at=datetime.combine(placed_on, datetime.min.time(), UTC)
                                     ).model_dump(mode="json"))
    for code in ("HP1", "A", "C19", "I"):
        service.handle_course_completed(CourseCompleted(person_id=person_id, course_code=code,
                                                        completed_on=placed_on).model_dump(mode="json"))
    session.add(ClassificationRecord(id=uuid.uuid4(), person_id=person_id, classification_code=DOP, local="600",
                                     applied_on=placed_on, placed_on=placed_on, status="compliant",
                                     status_as_of=placed_on, updated_at=datetime.now(UTC)))
    session.commit()
    return str(person_id)


def row_of(service, person_id: str, label: str, as_of: date | None = None) -> tuple[dict, dict]:
    record = service.my_classification(person_id, DOP, as_of.isoformat() if as_of else None)
    return record, next(r for r in record["rows"] if r["label"] == label)


def ask(service, person_id, until: date, **extra) -> dict:
    payload = {"classification_code": DOP, "requirement": COURSE_B, "circumstance": "medical",
               "until": until.isoformat(), "document_ids": [], **extra}
    return service.request_extension(person_id, payload, IP)


DOP_RULES = Classification(
    code=DOP, name="Director of Photography", local="600",
    application=(Course(code="A"),),
    ongoing=(Questionnaire(question="supervisor", if_yes="HP2", if_no="HP1", refresher_days=730),
             Course(code="B", due_days_after=90, anchor="placed"), Course(code="I", due_days_after=90)))


def test_the_engine_reads_an_approved_extension_as_the_new_deadline_from_the_day_it_was_granted():
    """Golden: course B due placed+90; extended on day 80 to day 150. Before the grant the old
    deadline stands; after it the requirement is due on day 150 and the record stays compliant."""
    placed = date(2024, 1, 1)
    rules = DOP_RULES
    record = Record(classification=DOP, applied_on=placed, placed_on=placed)
    done = tuple(Completion(course=c, on=placed) for c in ("HP1", "A", "C19", "I"))
    base = Facts(completions=done, answers={"supervisor": False})
    extended = Facts(completions=done, answers={"supervisor": False},
                     extensions=(Extension(DOP, COURSE_B, placed + timedelta(days=150), placed + timedelta(days=80)),))
    day_100 = placed + timedelta(days=100)
    assert evaluate(record, rules, base, day_100).status == "not_compliant"
    after = evaluate(record, rules, extended, day_100)
    assert after.status in ("compliant", "approaching_deadline")
    b = next(r for r in after.rows if r.label == COURSE_B)
    assert (b.state, b.due_on) == ("due", placed + timedelta(days=150))
    # before it was granted nothing changes: as of day 79 the old deadline shows
    before = next(r for r in evaluate(record, rules, extended, placed + timedelta(days=79)).rows if r.label == COURSE_B)
    assert before.due_on == placed + timedelta(days=90)
    # the timeline has no lapse before the new date, and one from the day after it
    late = evaluate(record, rules, extended, placed + timedelta(days=160))
    assert late.status == "not_compliant"
    assert [(i.compliant, i.start) for i in late.timeline][-1] == (False, placed + timedelta(days=151))


def test_approving_moves_the_due_date_and_keeps_the_record_from_lapsing_for_it(rosters):
    service, session, published = rosters
    person = placed_dop(service, session, TODAY - timedelta(days=80))
    _, b = row_of(service, person, COURSE_B)
    assert (b["state"], b["due_on"]) == ("due", (TODAY + timedelta(days=10)).isoformat())
    asked = ask(service, person, TODAY + timedelta(days=60), circumstance="distant_location")
    assert (asked["status"], asked["original_due_on"]) == ("requested", b["due_on"])
    assert asked["circumstance_label"] == "Working at a distant location"

    published.clear()
    decided = service.decide_extension(asked["extension_id"], {"decision": "approve",
                                                               "until": (TODAY + timedelta(days=45)).isoformat()},
                                       STAFF)
    assert (decided["status"], decided["until"]) == ("approved", (TODAY + timedelta(days=45)).isoformat())
    told = [e for e in published if e.event_type == "extension_decided"]
    assert told and told[0].decision == "approved" and told[0].until == TODAY + timedelta(days=45)

    _, b = row_of(service, person, COURSE_B)
    assert b["due_on"] == (TODAY + timedelta(days=45)).isoformat()
    # past the old deadline, before the new one: not out of compliance for it
    record, b = row_of(service, person, COURSE_B, TODAY + timedelta(days=20))
    assert record["status"] != "not_compliant" and b["state"] == "due"
    # after the new date it lapses as any deadline does
    record, _ = row_of(service, person, COURSE_B, TODAY + timedelta(days=46))
    assert record["status"] == "not_compliant"
    actions = session.execute(sa.text("SELECT action FROM audit_log")).scalars().all()
    assert {"extension.requested", "extension.approved"} <= set(actions)
    assert service.my_extensions(person)["extensions"][0]["status"] == "approved"


def test_a_request_after_the_deadline_is_refused_with_the_reason(rosters):
    service, session, _ = rosters
    person = placed_dop(service, session, TODAY - timedelta(days=95))
    with pytest.raises(ValidationFailed, match="deadline passed on .* before the deadline"):
        ask(service, person, TODAY + timedelta(days=30))


def test_requests_name_a_known_circumstance_a_deadline_and_a_later_date(rosters):
    service, session, _ = rosters
    person = placed_dop(service, session, TODAY - timedelta(days=80))
    with pytest.raises(ValidationFailed, match="circumstances"):
        ask(service, person, TODAY + timedelta(days=30), circumstance="holiday")
    with pytest.raises(ValidationFailed, match="after the current due date"):
        ask(service, person, TODAY + timedelta(days=5))
    with pytest.raises(ValidationFailed, match="no deadline"):
        ask(service, person, TODAY + timedelta(days=30), requirement="Safety Pass course I")
    with pytest.raises(ValidationFailed, match="not one of"):
        ask(service, person, TODAY + timedelta(days=30), requirement="Juggling")
    ask(service, person, TODAY + timedelta(days=30))
    with pytest.raises(Conflict):
        ask(service, person, TODAY + timedelta(days=40))


def test_only_staff_decide_a_denial_says_why_and_a_request_is_decided_once(rosters):
    service, session, published = rosters
    person = placed_dop(service, session, TODAY - timedelta(days=80))
    asked = ask(service, person, TODAY + timedelta(days=30), circumstance="family_emergency")
    with pytest.raises(Forbidden):
        service.decide_extension(asked["extension_id"], {"decision": "approve"}, IP)
    with pytest.raises(Forbidden):
        service.extension_queue(IP)
    with pytest.raises(ValidationFailed):
        service.decide_extension(asked["extension_id"], {"decision": "deny"}, STAFF)
    assert [e["extension_id"] for e in service.extension_queue(STAFF)["extensions"]] == [asked["extension_id"]]
    assert service.casework_queues(STAFF)["extensions"]["count"] == 1
    denied = service.decide_extension(asked["extension_id"], {"decision": "deny", "reason": "No evidence"}, STAFF)
    assert (denied["status"], denied["reason"]) == ("denied", "No evidence")
    assert published[-1].event_type == "extension_decided" and published[-1].decision == "denied"
    with pytest.raises(Conflict):
        service.decide_extension(asked["extension_id"], {"decision": "approve"}, STAFF)
    _, b = row_of(service, person, COURSE_B)
    assert b["due_on"] == (TODAY + timedelta(days=10)).isoformat()  # a denial moves nothing
    assert service.extension_queue(STAFF)["extensions"] == []


def test_the_protest_window_follows_hub_protest_days_from_the_environment(monkeypatch):
    from rosters.casework_data import data, protest_days

    monkeypatch.setenv("HUB_PROTEST_DAYS", "12")
    assert protest_days(None) == 12 and protest_days({"HUB_PROTEST_DAYS": "9"}) == 9
    monkeypatch.delenv("HUB_PROTEST_DAYS")
    assert protest_days({"HUB_PROTEST_DAYS": ""}) == int(data()["protest_days"])
