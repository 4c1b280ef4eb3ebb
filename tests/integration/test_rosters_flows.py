"""Rosters and notifications through the real broker, rosters on PostgreSQL: the journeys of
SPEC §4 driven by RPCs and by the events other services publish."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from notifications.models import Message
from notifications.service import NotificationsService
from rosters.engine.rules import Period
from rosters.models import ClassificationRecord, DeadlineNotice
from rosters.service import RostersService

from common.clock import today as hub_today
from common.events import Event
from common.events.accounts import ContactDetailsChanged, PersonRegistered
from common.events.documents import DocumentExpired, DocumentReviewed
from common.events.training import CourseCompleted, Enrolled
from common.identity import normalise_ssn, ssn_index
from tests.support.databases import service_sessions
from tests.support.factories import make_ssn
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.broker, pytest.mark.smtp]

TODAY = hub_today()
IP = {"roles": ["industry_professional"]}
PAYROLL = {"roles": ["payroll_client"]}
STAFF = {"roles": ["staff_reviewer"]}


@pytest.fixture
def hub(runner_factory, service_config, postgres_url, smtp):
    config = {**service_config, "ROSTERS_DB_URL": postgres_url(), "HUB_SMTP_HOST": "127.0.0.1",
              "HUB_SMTP_PORT": smtp.port}
    runner = runner_factory(config, RostersService, NotificationsService)
    runner.start()
    yield config
    runner.stop()


def publish(config, event: Event) -> None:
    Publisher(config["AMQP_URI"], use_confirms=True).publish(
        event.model_dump(mode="json"), exchange=get_event_exchange(event.source, config),
        routing_key=event.event_type)


def at(day: date) -> datetime:
    """An event's occurred_at on `day` (local noon), e.g. a document approved back then."""
    return datetime.combine(day, time(12)).astimezone(UTC)


def register(config, ssn: str | None = None, email: str | None = None) -> uuid.UUID:
    person_id = uuid.uuid4()
    publish(config, PersonRegistered(
        person_id=person_id, il_number=f"{person_id.int % 10**10:010d}", first_name="Pat",
        last_name="Grip", ssn_index=ssn_index(normalise_ssn(ssn)) if ssn else None))
    if email:
        publish(config, ContactDetailsChanged(person_id=person_id, email=email, first_name="Pat"))
    return person_id


def known(person_id) -> dict:
    """What the gateway knows of the person applying (as `register` made them)."""
    return {"il_number": f"{person_id.int % 10**10:010d}", "first_name": "Pat", "last_name": "Grip"}


def apply(rpc, person_id, code: str) -> dict:
    return rpc.rosters.apply(str(person_id), code, IP, known(person_id))


def payroll(rpc, ssn: str, code: str, days: range) -> dict:
    return rpc.rosters.ingest_payroll(
        [{"ssn": ssn, "last_name": "Grip", "first_name": "Pat", "employer": "Warner Bros.",
          "production": "Night Shoot", "classification_code": code,
          "work_date": (TODAY - timedelta(days=d)).isoformat(), "hours": 10} for d in days],
        None, PAYROLL)


def record_of(rpc, person_id, code: str, as_of: date | None = None) -> dict:
    return rpc.rosters.my_classification(str(person_id), code, as_of.isoformat() if as_of else None)


def row(record: dict, label_start: str) -> dict:
    return next(r for r in record["rows"] if r["label"].startswith(label_start))


def outbox(config, event_type: str) -> list[dict]:
    with service_sessions("rosters", config)() as session:
        base = session.info["base"]
        return [json.loads(p) for p in session.scalars(
            sa.select(base.OutboxMessage.payload).where(base.OutboxMessage.event_type == event_type)
            .order_by(base.OutboxMessage.id))]


def messages(config, person_id) -> list[Message]:
    with service_sessions("notifications", config)() as session:
        return session.scalars(sa.select(Message).where(Message.person_id == person_id)
                               .order_by(Message.created_at)).all()


def message_with(config, person_id, subject_start: str) -> Message:
    return wait_until(lambda: next((m for m in messages(config, person_id)
                                    if m.subject.startswith(subject_start)), None),
                      timeout=20, message=f"the message {subject_start!r}")


def wait_for_status(rpc, person_id, code: str, status: str, as_of: date | None = None) -> dict:
    return wait_until(lambda: (r := record_of(rpc, person_id, code, as_of))["status"] == status and r,
                      timeout=20, message=f"{code} to be {status}")


def trained(config, person_id, on: date = TODAY, courses=("A", "HP1", "C19")) -> None:
    # the questionnaire is answered when enrolling, on the day of the course: a dated fact
    publish(config, Enrolled(enrollment_id=uuid.uuid4(), person_id=person_id, course_code="HP1",
                             answers={"supervisor": False}, occurred_at=at(on)))
    for course in courses:
        publish(config, CourseCompleted(person_id=person_id, course_code=course, completed_on=on))


def approved(config, person_id, document_type: str, on: date, expires_on: date | None) -> uuid.UUID:
    document_id = uuid.uuid4()
    publish(config, DocumentReviewed(document_id=document_id, person_id=person_id, document_type=document_type,
                                     decision="approved", expires_on=expires_on, occurred_at=at(on)))
    return document_id


def test_a_new_grip_goes_from_applying_to_placed_and_is_told_so(hub, rpc, smtp):
    ssn = make_ssn()
    person_id = register(hub, ssn, email="new.grip@example.com")
    record = apply(rpc, person_id, "80-GRIP")
    assert (record["status"], record["label"]) == ("in_progress_not_training_eligible",
                                                   "In Progress - Not Training Eligible")
    assert record["local"] == "80" and record["placed_on"] is None
    assert outbox(hub, "application_started")[0]["local"] == "80"

    assert payroll(rpc, ssn, "80-GRIP", range(29, 30))["accepted"] == 1
    record = record_of(rpc, person_id, "80-GRIP")
    assert record["status"] == "in_progress_training_eligible" and record["training_eligible"] is True
    assert row(record, "30 verified work days")["detail"] == "1 of 30 days in the last year; 29 more needed"

    trained(hub, person_id)
    wait_until(lambda: all(r["state"] == "met" for r in record_of(rpc, person_id, "80-GRIP")["rows"][1:]),
               timeout=20, message="A, HP1 (questionnaire: not a supervisor) and C19 to be met")
    assert row(record_of(rpc, person_id, "80-GRIP"), "HP1 or HP2")["detail"].startswith("Completed HP1")

    assert payroll(rpc, ssn, "80-GRIP", range(0, 29))["accepted"] == 29
    record = record_of(rpc, person_id, "80-GRIP")
    assert (record["status"], record["placed_on"]) == ("compliant", TODAY.isoformat())
    assert [e["classification_code"] for e in outbox(hub, "placed_on_roster")] == ["80-GRIP"]
    message = message_with(hub, person_id, "You are placed on the roster")
    assert "IATSE, Local #80 (Grip)" in message.body
    wait_until(lambda: [m for m in smtp.messages_to("new.grip@example.com")
                        if m["Subject"] == "You are placed on the roster"], timeout=20, message="the e-mail")
    changes = [(e["old_status"], e["new_status"]) for e in outbox(hub, "status_changed")]
    assert changes == [(None, "in_progress_not_training_eligible"),
                       ("in_progress_not_training_eligible", "in_progress_training_eligible"),
                       ("in_progress_training_eligible", "compliant")]


def placed_driver(hub, rpc) -> tuple[uuid.UUID, uuid.UUID]:
    """A 399 driver who meets everything today; returns (person, medical certificate)."""
    ssn = make_ssn()
    person_id = register(hub, ssn)
    approved(hub, person_id, "cdl_class_a", TODAY - timedelta(days=40), TODAY + timedelta(days=900))
    medical = approved(hub, person_id, "dot_medical_certificate", TODAY - timedelta(days=40),
                       TODAY + timedelta(days=300))
    trained(hub, person_id, TODAY - timedelta(days=35), courses=("A", "HP1", "C19", "B", "D1"))
    wait_until(lambda: _known(hub, person_id) and len(_completions(hub, person_id)) == 5
               and _answered(hub, person_id) and len(_documents(hub, person_id)) == 2,
               timeout=20, message="the person, their documents and courses")
    payroll(rpc, ssn, "399-DRIVER-G3", range(1, 31))
    record = apply(rpc, person_id, "399-DRIVER-G3")
    assert (record["status"], record["placed_on"], record["group"]) == ("compliant", TODAY.isoformat(), 3)
    return person_id, medical


def test_an_expired_medical_certificate_suspends_a_driver_and_a_new_one_reinstates_them(hub, rpc):
    person_id, medical = placed_driver(hub, rpc)
    pending = rpc.rosters.my_classifications(str(person_id))["pending"]
    assert [(p["classification_code"], p["status"]) for p in pending] == [("399-DRIVER-G2", "pending_advancement")]
    assert pending[0]["rows"][0]["label"] == "2 Years Active, Upgrade"

    publish(hub, DocumentExpired(document_id=medical, person_id=person_id,
                                 document_type="dot_medical_certificate", expired_on=TODAY))
    record = wait_for_status(rpc, person_id, "399-DRIVER-G3", "not_compliant")
    assert row(record, "DOT Medical")["state"] == "unmet"
    suspended = outbox(hub, "suspended")
    assert [(e["classification_code"], e["reason"]) for e in suspended] == [
        ("399-DRIVER-G3", "DOT Medical Examiner's Certificate")]
    assert "DOT Medical Examiner's Certificate" in message_with(hub, person_id, "Not Compliant").body

    approved(hub, person_id, "dot_medical_certificate", TODAY, TODAY + timedelta(days=700))
    wait_for_status(rpc, person_id, "399-DRIVER-G3", "compliant")
    assert [e["classification_code"] for e in outbox(hub, "reinstated")] == ["399-DRIVER-G3"]
    message_with(hub, person_id, "Compliant again")


def seed_placed_record(config, person_id, code: str, placed_on: date) -> None:
    """A record placed long ago, as the legacy import brings them (applying places it today)."""
    with service_sessions("rosters", config)() as session:
        session.add(ClassificationRecord(
            id=uuid.uuid4(), person_id=person_id, classification_code=code, local=code.split("-")[0],
            applied_on=placed_on, placed_on=placed_on, group_started_on=placed_on, status="compliant",
            status_as_of=placed_on, updated_at=datetime.now(UTC)))
        session.commit()


def test_the_sweep_advances_a_group_3_driver_on_the_date_moved_by_the_days_suspended(hub, rpc):
    placed = TODAY - timedelta(days=731 + 5)
    person_id = register(hub)
    approved(hub, person_id, "cdl_class_b", placed - timedelta(days=10), None)
    # the medical certificate lapsed for 10 days in the first year (seed 002)
    approved(hub, person_id, "dot_medical_certificate", placed - timedelta(days=10), placed + timedelta(days=300))
    approved(hub, person_id, "dot_medical_certificate", placed + timedelta(days=311), TODAY + timedelta(days=400))
    trained(hub, person_id, placed - timedelta(days=10), courses=("A", "HP1", "C19", "B", "D1"))
    publish(hub, CourseCompleted(person_id=person_id, course_code="HP1", completed_on=placed + timedelta(days=600)))
    wait_until(lambda: _known(hub, person_id) and len(_completions(hub, person_id)) == 6
               and _answered(hub, person_id) and len(_documents(hub, person_id)) == 3,
               timeout=20, message="every fact to arrive")
    seed_placed_record(hub, person_id, "399-DRIVER-G3", placed)
    expected = placed.replace(year=placed.year + 2) + timedelta(days=10)
    assert record_of(rpc, person_id, "399-DRIVER-G3")["anticipated_advancement_on"] == expected.isoformat()
    assert expected > TODAY  # without the 10 days suspended it would have come already

    before = rpc.rosters.run_sweep(TODAY.isoformat(), STAFF)
    assert before["advanced"] == 0
    assert record_of(rpc, person_id, "399-DRIVER-G3")["status"] == "compliant"

    swept = rpc.rosters.run_sweep(expected.isoformat(), STAFF)
    assert swept["advanced"] == 1
    mine = rpc.rosters.my_classifications(str(person_id), expected.isoformat())
    assert [(r["classification_code"], r["status"], r["placed_on"]) for r in mine["records"]] == [
        ("399-DRIVER-G2", "compliant", expected.isoformat())]
    assert [r["classification_code"] for r in mine["closed"]] == ["399-DRIVER-G3"]
    assert mine["pending"][0]["classification_code"] == "399-DRIVER-G1"
    advanced = outbox(hub, "group_advanced")
    assert [(e["from_classification_code"], e["to_classification_code"], e["as_of"]) for e in advanced] == [
        ("399-DRIVER-G3", "399-DRIVER-G2", expected.isoformat())]
    message = message_with(hub, person_id, "You advanced to Teamsters, Local #399 (Driver Group 2)")
    assert message.category == "roster"
    assert rpc.rosters.run_sweep(expected.isoformat(), STAFF)["advanced"] == 0


def _known(config, person_id) -> bool:
    from rosters.models import Person

    with service_sessions("rosters", config)() as session:
        return session.get(Person, person_id) is not None


def _completions(config, person_id) -> list:
    from rosters.models import Completion

    with service_sessions("rosters", config)() as session:
        return session.scalars(sa.select(Completion).where(Completion.person_id == person_id)).all()


def test_deadline_warnings_go_out_once_each_at_30_and_7_days_and_on_the_day(hub, rpc):
    ssn = make_ssn()
    person_id = register(hub, ssn)
    # harassment prevention is renewed every 2 years: valid until the same date 2 years on (a
    # month from now, give or take a 29 February)
    trained(hub, person_id, TODAY - timedelta(days=700))
    wait_until(lambda: _known(hub, person_id) and len(_completions(hub, person_id)) == 3, timeout=20)
    payroll(rpc, ssn, "80-GRIP", range(0, 30))
    wait_until(lambda: _answered(hub, person_id), timeout=20, message="the questionnaire answer")
    record = apply(rpc, person_id, "80-GRIP")
    due = Period(years=2).add_to(TODAY - timedelta(days=700)) - timedelta(days=1)
    first_warning = (due - TODAY).days
    assert first_warning in (29, 30) and record["status"] == "approaching_deadline"
    assert row(record, "HP1 or HP2")["due_on"] == due.isoformat()

    for day in (TODAY, TODAY, TODAY + timedelta(days=1), due - timedelta(days=7), due - timedelta(days=5), due, due):
        rpc.rosters.run_sweep(day.isoformat(), STAFF)
    warnings = [(e["requirement"], e["due_on"], e["days_left"]) for e in outbox(hub, "deadline_approaching")]
    assert {e["placed"] for e in outbox(hub, "deadline_approaching")} == {True}
    label = "HP1 or HP2 (chosen by a short questionnaire)"
    assert warnings == [(label, due.isoformat(), first_warning), (label, due.isoformat(), 7),
                        (label, due.isoformat(), 0)]
    with service_sessions("rosters", hub)() as session:
        notices = session.scalars(sa.select(DeadlineNotice.days_before).order_by(DeadlineNotice.days_before))
        assert notices.all() == [0, 7, 30]
    message = message_with(hub, person_id, "Due today")
    assert message.deadline == due and message.category == "deadline"
    wait_until(lambda: len([m for m in messages(hub, person_id) if m.category == "deadline"]) == 3, timeout=20)

    assert rpc.rosters.run_sweep((due + timedelta(days=1)).isoformat(), STAFF)["suspended"] == 1


def _documents(config, person_id) -> list:
    from rosters.models import DocumentFact

    with service_sessions("rosters", config)() as session:
        return session.scalars(sa.select(DocumentFact).where(DocumentFact.person_id == person_id)).all()


def _answered(config, person_id) -> bool:
    from rosters.models import Answer

    with service_sessions("rosters", config)() as session:
        return session.scalar(sa.select(Answer.id).where(Answer.person_id == person_id,
                                                         Answer.question == "supervisor")) is not None
