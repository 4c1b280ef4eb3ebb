"""Journey 4 of SPEC §4 with real documents, through the real broker: a Local #399 driver's
medical certificate is uploaded and approved, lapses (the documents sweep makes the expiry a fact
and publishes it), a renewal is approved ten days after it lapsed, and the rosters service moves
the Anticipated Advancement Date exactly ten days. Rosters runs on PostgreSQL; documents on its
SQLite file and the local-folder bucket; notifications tells the person."""
from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from documents.models import Document
from documents.service import DocumentsService
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from notifications.models import Message
from notifications.service import NotificationsService
from rosters.engine.rules import Period
from rosters.models import ClassificationRecord, DocumentFact
from rosters.service import RostersService

from common.clock import today
from common.events import Event
from common.events.accounts import PersonRegistered
from common.events.training import CourseCompleted, Enrolled
from common.storage import storage_from_config
from tests.support.databases import service_sessions
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.broker]

TODAY = today()
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
DRIVER = "399-DRIVER-G3"


@pytest.fixture
def hub(runner_factory, service_config, postgres_url):
    config = {**service_config, "ROSTERS_DB_URL": postgres_url()}
    runner = runner_factory(config, DocumentsService, RostersService, NotificationsService)
    runner.start()
    yield config
    runner.stop()


def publish(config, event: Event) -> None:
    Publisher(config["AMQP_URI"], use_confirms=True).publish(
        event.model_dump(mode="json"), exchange=get_event_exchange(event.source, config),
        routing_key=event.event_type)


def at(day: date) -> datetime:
    return datetime.combine(day, time(12)).astimezone(UTC)


def register(config) -> uuid.UUID:
    person_id = uuid.uuid4()
    publish(config, PersonRegistered(person_id=person_id, il_number=f"{person_id.int % 10**10:010d}",
                                     first_name="Dana", last_name="Driver"))
    return person_id


def trained(config, person_id, on: date) -> None:
    publish(config, Enrolled(enrollment_id=uuid.uuid4(), person_id=person_id, course_code="HP1",
                             answers={"supervisor": False}, occurred_at=at(on)))
    for course in ("A", "HP1", "C19", "B", "D1"):
        publish(config, CourseCompleted(person_id=person_id, course_code=course, completed_on=on))
    # harassment prevention renewed lately, so nothing but the certificate lapses before the date
    publish(config, CourseCompleted(person_id=person_id, course_code="HP1", completed_on=TODAY - timedelta(days=5)))


def upload(config, rpc, person_id, document_type: str, data: bytes) -> str:
    """What the gateway does: stream the bytes under incoming/, then register them."""
    key = f"incoming/{uuid.uuid4()}"
    stored = storage_from_config(config).put_stream(key, io.BytesIO(data), len(data), "application/pdf")
    out = rpc.documents.register_upload(
        {"staging_key": key, "person_id": str(person_id), "document_type": document_type,
         "classification_code": DRIVER, "file_name": f"{document_type}.pdf", "size": stored.size,
         "content_type": "application/pdf", "sha256": stored.sha256},
        {"account_id": str(uuid.uuid4()), "roles": ["industry_professional"]})
    assert out["created"] is True and out["document"]["status"] == "pending_review"
    return out["document"]["id"]


def approve(rpc, document_id: str, issued_on: date, expires_on: date) -> dict:
    return rpc.documents.review_document(document_id, {"decision": "approve", "issued_on": issued_on.isoformat(),
                                                       "expires_on": expires_on.isoformat()}, STAFF)


def facts(config, person_id) -> dict[str, DocumentFact]:
    with service_sessions("rosters", config)() as session:
        return {str(f.document_id): f for f in session.scalars(
            sa.select(DocumentFact).where(DocumentFact.person_id == person_id))}


def known_to_rosters(config, person_id) -> bool:
    from rosters.models import Answer, Completion, Person

    with service_sessions("rosters", config)() as session:
        return (session.get(Person, person_id) is not None
                and len(session.scalars(sa.select(Completion).where(Completion.person_id == person_id)).all()) == 6
                and session.scalar(sa.select(Answer.id).where(Answer.person_id == person_id)) is not None)


def seed_placed_record(config, person_id, placed_on: date) -> None:
    """Placed long ago, as the legacy import brings records (applying would place it today)."""
    with service_sessions("rosters", config)() as session:
        session.add(ClassificationRecord(
            id=uuid.uuid4(), person_id=person_id, classification_code=DRIVER, local="399",
            applied_on=placed_on, placed_on=placed_on, group_started_on=placed_on, status="compliant",
            status_as_of=placed_on, updated_at=datetime.now(UTC)))
        session.commit()


def record_of(rpc, person_id, as_of: date | None = None) -> dict:
    return rpc.rosters.my_classification(str(person_id), DRIVER, as_of.isoformat() if as_of else None)


def messages(config, person_id) -> list[str]:
    with service_sessions("notifications", config)() as session:
        return list(session.scalars(sa.select(Message.subject).where(Message.person_id == person_id)))


def test_a_lapsed_medical_certificate_renewed_ten_days_later_moves_the_advancement_date_ten_days(hub, rpc):
    placed = TODAY - timedelta(days=200)
    lapses_after = placed + timedelta(days=100)       # valid through this day
    renewed_on = lapses_after + timedelta(days=11)    # ten days without a valid certificate
    person_id = register(hub)
    trained(hub, person_id, placed - timedelta(days=10))
    wait_until(lambda: known_to_rosters(hub, person_id), timeout=20, message="the person and their courses")

    cdl = upload(hub, rpc, person_id, "cdl_class_b", b"%PDF-1.7\n CDL class B")
    approve(rpc, cdl, placed - timedelta(days=400), TODAY + timedelta(days=900))
    medical = upload(hub, rpc, person_id, "dot_medical_certificate", b"%PDF-1.7\n medical 1")
    approved = approve(rpc, medical, placed - timedelta(days=10), lapses_after)
    assert approved["status"] == "expired"  # as of today its date has passed; the sweep has not run
    wait_until(lambda: len(facts(hub, person_id)) == 2, timeout=20, message="both approvals in rosters")
    assert facts(hub, person_id)[medical].approved_on == placed - timedelta(days=10)  # from its issue date
    seed_placed_record(hub, person_id, placed)

    # while the certificate was valid the date was two years from placement
    on_time = Period(years=2).add_to(placed)
    assert record_of(rpc, person_id, placed + timedelta(days=50))["anticipated_advancement_on"] == on_time.isoformat()

    swept = rpc.documents.sweep_expired(TODAY.isoformat(), STAFF)
    assert swept["expired"] == 1
    assert rpc.documents.sweep_expired(TODAY.isoformat(), STAFF)["expired"] == 0  # announced once
    wait_until(lambda: facts(hub, person_id)[medical].status == "expired", timeout=20,
               message="rosters to hear that the certificate expired")
    assert record_of(rpc, person_id)["status"] == "not_compliant"
    wait_until(lambda: "Document expired: DOT Medical Examiner's Certificate" in messages(hub, person_id),
               timeout=20, message="the expiry message")

    renewal = upload(hub, rpc, person_id, "dot_medical_certificate", b"%PDF-1.7\n medical 2")
    assert approve(rpc, renewal, renewed_on, TODAY + timedelta(days=900))["status"] == "approved"
    record = wait_until(lambda: (r := record_of(rpc, person_id))["status"] == "compliant" and r, timeout=20,
                        message="the renewal to reinstate the driver")

    assert record["anticipated_advancement_on"] == (on_time + timedelta(days=10)).isoformat()
    assert record_of(rpc, person_id, lapses_after + timedelta(days=5))["status"] == "not_compliant"
    with service_sessions("documents", hub)() as session:
        statuses = dict(session.execute(sa.select(Document.id, Document.status)
                                        .where(Document.person_id == person_id)).all())
    assert {str(k): v for k, v in statuses.items()} == {cdl: "approved", medical: "expired", renewal: "approved"}
    wait_until(lambda: messages(hub, person_id).count("Document approved: DOT Medical Examiner's Certificate") == 2,
               timeout=20, message="both approval messages")
