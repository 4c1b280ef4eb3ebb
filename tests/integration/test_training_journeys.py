"""Training through the real broker with real completions (no test-published training events):
journey 1's training part — a new grip becomes Training Eligible from a payroll day, the training
service hears it from rosters, the grip passes A and HP1 online (the questionnaire picks HP1) and
rosters counts both — and a harassment prevention completion that lapses, made a fact by the
training sweep, suspends a placed grip. Rosters on PostgreSQL; training and notifications on
their SQLite files."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from notifications.models import Message
from notifications.service import NotificationsService
from rosters.models import Answer, ClassificationRecord
from rosters.models import Completion as RostersCompletion
from rosters.models import Person as RostersPerson
from rosters.service import RostersService
from training.courses import load_courses
from training.models import Learner, LearnerRecord
from training.service import TrainingService

from common.clock import today
from common.events import Event
from common.events.accounts import ContactDetailsChanged, PersonRegistered
from common.identity import normalise_ssn, ssn_index
from tests.support.databases import service_sessions
from tests.support.factories import make_ssn
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.broker, pytest.mark.postgres]

TODAY = today()
GRIP = "80-GRIP"
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
PAYROLL = {"roles": ["payroll_client"]}
CATALOG = load_courses()


@pytest.fixture
def hub(runner_factory, service_config, postgres_url):
    config = {**service_config, "ROSTERS_DB_URL": postgres_url()}
    runner = runner_factory(config, TrainingService, RostersService, NotificationsService)
    runner.start()
    yield config
    runner.stop()


def publish(config, event: Event) -> None:
    Publisher(config["AMQP_URI"], use_confirms=True).publish(
        event.model_dump(mode="json"), exchange=get_event_exchange(event.source, config),
        routing_key=event.event_type)


def register(config, ssn: str) -> uuid.UUID:
    person_id = uuid.uuid4()
    publish(config, PersonRegistered(person_id=person_id, il_number=f"{person_id.int % 10**10:010d}",
                                     first_name="Pat", last_name="Grip", ssn_index=ssn_index(normalise_ssn(ssn))))
    publish(config, ContactDetailsChanged(person_id=person_id, email=f"{person_id}@example.com", first_name="Pat"))
    return person_id


def ip(person_id) -> dict:
    return {"account_id": str(uuid.uuid4()), "person_id": str(person_id), "roles": ["industry_professional"]}


def known_everywhere(config, person_id) -> bool:
    with service_sessions("training", config)() as session:
        if session.get(Learner, person_id) is None:
            return False
    with service_sessions("rosters", config)() as session:
        return session.get(RostersPerson, person_id) is not None


def payroll(rpc, ssn: str, days: range) -> dict:
    return rpc.rosters.ingest_payroll(
        [{"ssn": ssn, "last_name": "Grip", "first_name": "Pat", "employer": "Warner Bros.",
          "production": "Night Shoot", "classification_code": GRIP,
          "work_date": (TODAY - timedelta(days=d)).isoformat(), "hours": 10} for d in days], None, PAYROLL)


def course_row(rpc, person_id, code: str) -> dict:
    return next(c for c in rpc.training.my_training(str(person_id))["courses"] if c["course_code"] == code)


def take_online(rpc, person_id, payload: dict) -> dict:
    """Enroll, read every module, pass the quiz: what a person does on the Training pages."""
    enrollment = rpc.training.enroll(str(person_id), payload, ip(person_id))
    course = CATALOG.get(enrollment["course_code"])
    for module in course.content.modules:
        rpc.training.save_progress(str(person_id), enrollment["id"], {"module": module.id}, ip(person_id))
    answers = {q.id: q.answer for q in course.quiz.questions}
    result = rpc.training.submit_quiz(str(person_id), enrollment["id"], {"answers": answers}, ip(person_id))
    assert (result["passed"], result["score"], result["wrong"]) == (True, 100, [])
    return result


def record_of(rpc, person_id) -> dict:
    return rpc.rosters.my_classification(str(person_id), GRIP, None)


def row(record: dict, label_start: str) -> dict:
    return next(r for r in record["rows"] if r["label"].startswith(label_start))


def subjects(config, person_id) -> list[str]:
    with service_sessions("notifications", config)() as session:
        return list(session.scalars(sa.select(Message.subject).where(Message.person_id == person_id)))


def test_a_new_grip_passes_a_and_hp1_online_and_rosters_counts_them(hub, rpc):
    ssn = make_ssn()
    person_id = register(hub, ssn)
    wait_until(lambda: known_everywhere(hub, person_id), timeout=20, message="the person in rosters and training")
    record = rpc.rosters.apply(str(person_id), GRIP, ip(person_id),
                               {"il_number": f"{person_id.int % 10**10:010d}", "first_name": "Pat",
                                "last_name": "Grip"})
    assert record["status"] == "in_progress_not_training_eligible"
    wait_until(lambda: course_row(rpc, person_id, "A")["unlocks_with"]
               == "Report one verified work day in your classification.",
               timeout=20, message="training to hear of the application")

    assert payroll(rpc, ssn, range(29, 30))["accepted"] == 1
    wait_until(lambda: course_row(rpc, person_id, "A")["may_enroll"], timeout=20,
               message="training to hear that the grip is Training Eligible")
    assert course_row(rpc, person_id, "B")["may_enroll"] is False   # craft courses wait for placement

    take_online(rpc, person_id, {"course_code": "A"})
    hp = take_online(rpc, person_id, {"course_code": "HP", "answers": {"supervisor": False}})
    assert hp["completion"]["course_code"] == "HP1" and hp["completion"]["expires_on"] is not None

    def a_and_hp1_met():
        rows = record_of(rpc, person_id)["rows"]
        return [r["state"] for r in rows[1:3]] == ["met", "met"] and rows

    rows = wait_until(a_and_hp1_met, timeout=20, message="rosters to count A and HP1")
    assert row({"rows": rows}, "HP1 or HP2")["detail"].startswith("Completed HP1")
    assert rows[3]["state"] != "met"   # C19 still to do

    rpc.training.record_completion({"person_id": str(person_id), "course_code": "C19",
                                    "completed_on": TODAY.isoformat(), "source": "staff"}, STAFF)
    wait_until(lambda: all(r["state"] == "met" for r in record_of(rpc, person_id)["rows"][1:]), timeout=20,
               message="rosters to count C19")
    payroll(rpc, ssn, range(0, 29))
    placed = record_of(rpc, person_id)
    assert (placed["status"], placed["placed_on"]) == ("compliant", TODAY.isoformat())
    wait_until(lambda: course_row(rpc, person_id, "B")["may_enroll"], timeout=20,
               message="training to hear of the placement (craft courses open)")
    wait_until(lambda: {"Course completed: HP1: Harassment Prevention (non-supervisors)",
                        "You are placed on the roster"} <= set(subjects(hub, person_id)),
               timeout=20, message="the completion and placement messages")
    transcript = rpc.training.transcript(str(person_id))
    assert sorted(c["course_code"] for c in transcript["completions"]) == ["A", "C19", "HP1"]


def test_a_lapsed_harassment_prevention_completion_swept_by_training_suspends_a_placed_grip(hub, rpc):
    placed_on = TODAY - timedelta(days=200)
    person_id = register(hub, make_ssn())
    wait_until(lambda: known_everywhere(hub, person_id), timeout=20, message="the person in rosters and training")
    with service_sessions("training", hub)() as session:   # placed long ago, as the legacy import brings it
        session.add(LearnerRecord(person_id=person_id, classification_code=GRIP, local="80", status="compliant",
                                  placed_on=placed_on, closed=False, event_at=datetime.now(UTC)))
        session.commit()
    for code, on in (("A", placed_on - timedelta(days=10)), ("C19", placed_on - timedelta(days=10)),
                     ("HP1", TODAY - timedelta(days=2 * 365 + 5))):
        rpc.training.record_completion({"person_id": str(person_id), "course_code": code,
                                        "completed_on": on.isoformat(), "source": "staff"}, STAFF)
    # the questionnaire answered when enrolling for the refresher (not taken yet)
    assert rpc.training.enroll(str(person_id), {"course_code": "HP", "answers": {"supervisor": False}},
                               ip(person_id))["course_code"] == "HP1"

    def facts_in_rosters():
        with service_sessions("rosters", hub)() as session:
            completions = session.scalars(sa.select(RostersCompletion).where(RostersCompletion.person_id == person_id))
            answered = session.scalar(sa.select(Answer.id).where(Answer.person_id == person_id))
            return len(completions.all()) == 3 and answered is not None

    wait_until(facts_in_rosters, timeout=20, message="rosters to hear of the completions and the answer")
    with service_sessions("rosters", hub)() as session:
        session.add(ClassificationRecord(id=uuid.uuid4(), person_id=person_id, classification_code=GRIP, local="80",
                                         applied_on=placed_on, placed_on=placed_on, status="compliant",
                                         status_as_of=placed_on, updated_at=datetime.now(UTC)))
        session.commit()

    swept = rpc.training.sweep_expired(TODAY.isoformat(), STAFF)
    assert swept["expired"] == 1
    assert rpc.training.sweep_expired(TODAY.isoformat(), STAFF)["expired"] == 0   # announced once
    record = wait_until(lambda: (r := record_of(rpc, person_id))["status"] == "not_compliant" and r, timeout=20,
                        message="the lapse to suspend the grip")
    assert row(record, "HP1 or HP2")["state"] == "unmet"
    wait_until(lambda: {"Training expired: HP1: Harassment Prevention (non-supervisors)",
                        "Not Compliant: IATSE, Local #80 (Grip)"} <= set(subjects(hub, person_id)),
               timeout=20, message="the expiry and suspension messages")
