"""What other services do with documents events: notifications posts a Message Center entry for
each review and expiry (once per event), and rosters counts an approved document from the day it
was issued."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory
from notifications.models import Message, OutgoingEmail
from notifications.service import NotificationsService
from rosters.models import DocumentFact

from common.clock import local_day, today
from common.events.accounts import PersonRegistered
from common.events.documents import DocumentExpired, DocumentReviewed
from tests.support.databases import memory_sessions

PUBLIC_URL = "https://hub.example"
MEDICAL = "DOT Medical Examiner's Certificate"


@pytest.fixture
def notifications():
    with memory_sessions("notifications")() as session:
        published = []
        worker = worker_factory(NotificationsService, db=session, publish=published.append,
                                config={"HUB_PUBLIC_URL": PUBLIC_URL})
        yield worker, session, published


def reviewed(person_id, **overrides) -> DocumentReviewed:
    fields = {"document_id": uuid.uuid4(), "person_id": person_id, "document_type": "dot_medical_certificate",
              "decision": "approved", "expires_on": date(2027, 3, 15), "document_label": MEDICAL}
    return DocumentReviewed(**{**fields, **overrides})


def messages(session, person_id) -> list[Message]:
    return session.scalars(sa.select(Message).where(Message.person_id == person_id)
                           .order_by(Message.created_at)).all()


def test_a_rejection_tells_the_person_why_and_links_to_their_documents(notifications):
    service, session, published = notifications
    person_id = uuid.uuid4()
    event = reviewed(person_id, decision="rejected", reason="Name does not match", expires_on=None)
    service.handle_document_reviewed(event.model_dump(mode="json"))
    service.handle_document_reviewed(event.model_dump(mode="json"))  # delivered twice: one message

    [message] = messages(session, person_id)
    assert message.subject == f"Document not accepted: {MEDICAL}" and message.category == "document"
    assert "Reason: Name does not match" in message.body
    assert f"{PUBLIC_URL}/portal/documents" in message.body
    assert [e.event_type for e in published] == ["message_created"]
    assert session.scalar(sa.select(OutgoingEmail.subject)) == message.subject


def test_an_approval_says_until_when_it_is_valid(notifications):
    service, session, _ = notifications
    person_id = uuid.uuid4()
    service.handle_document_reviewed(reviewed(person_id).model_dump(mode="json"))
    [message] = messages(session, person_id)
    assert message.subject == f"Document approved: {MEDICAL}"
    assert "valid until March 15, 2027" in message.body


def test_an_approval_of_a_document_that_never_expires_says_no_date(notifications):
    service, session, _ = notifications
    person_id = uuid.uuid4()
    service.handle_document_reviewed(reviewed(person_id, document_type="color_vision_test", expires_on=None,
                                              document_label=None).model_dump(mode="json"))
    [message] = messages(session, person_id)
    assert message.subject == "Document approved: color vision test" and "valid until" not in message.body


def test_an_expired_document_is_announced_once(notifications):
    service, session, _ = notifications
    person_id = uuid.uuid4()
    event = DocumentExpired(document_id=uuid.uuid4(), person_id=person_id, document_type="dot_medical_certificate",
                            expired_on=date(2027, 3, 16), document_label=MEDICAL)
    service.handle_document_expired(event.model_dump(mode="json"))
    service.handle_document_expired(event.model_dump(mode="json"))
    [message] = messages(session, person_id)
    assert message.subject == f"Document expired: {MEDICAL}"
    assert "expired on March 16, 2027" in message.body and f"{PUBLIC_URL}/portal/documents" in message.body


# --- rosters: an approved document counts from when it was valid ---------------------------------

def test_rosters_counts_an_approved_document_from_its_issue_date_then_the_review_day(rosters):
    service, session, _ = rosters
    person_id = uuid.uuid4()
    service.handle_person_registered(PersonRegistered(person_id=person_id, il_number="0000000001",
                                                      first_name="Dana", last_name="Driver").model_dump(mode="json"))
    issued, reviewed_on = today() - timedelta(days=100), today() - timedelta(days=3)
    occurred = datetime.now(UTC) - timedelta(days=1)
    cases = {
        "issued": ({"issued_on": issued, "reviewed_on": reviewed_on}, issued),
        "reviewed": ({"reviewed_on": reviewed_on}, reviewed_on),
        "occurred": ({}, local_day(occurred)),
    }
    for fields, expected in cases.values():
        event = reviewed(person_id, occurred_at=occurred, **fields)
        service.handle_document_reviewed(event.model_dump(mode="json"))
        assert session.get(DocumentFact, event.document_id).approved_on == expected
