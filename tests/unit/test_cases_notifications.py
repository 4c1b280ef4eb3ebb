"""Contact Us cases in the notifications service: a person hears in their Message Center (and by
e-mail) with a link to their cases; an anonymous sender only by e-mail at the address they gave;
automatic mail is not answered. The mail loop sends an e-mail with no person to its address."""
import uuid

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory
from notifications import domain
from notifications.models import Message, OutgoingEmail
from notifications.sender import send_due
from notifications.service import NotificationsService

from common.events.accounts import ContactDetailsChanged
from common.events.documents import CaseOpened, CaseReplied
from tests.support.databases import memory_sessions

PUBLIC_URL = "https://hub.example"


@pytest.fixture
def sessions():
    return memory_sessions("notifications")


@pytest.fixture
def service(sessions):
    with sessions() as session:
        published = []
        worker = worker_factory(NotificationsService, db=session, publish=published.append,
                                config={"HUB_PUBLIC_URL": PUBLIC_URL})
        yield worker, session, published


def opened(**overrides) -> dict:
    fields = {"case_id": str(uuid.uuid4()), "reference": "CS-2026-000123", "subject": "My CDL", "via": "web"}
    return CaseOpened(**{**fields, **overrides}).model_dump(mode="json")


def test_a_persons_case_is_acknowledged_in_the_message_center_with_a_link_to_their_cases(service):
    worker, session, published = service
    person_id = uuid.uuid4()
    domain.record_contact(session, ContactDetailsChanged(person_id=person_id, email="jo@example.com",
                                                         first_name="Jo"))

    worker.handle_case_opened(opened(person_id=str(person_id)))

    [message] = session.scalars(sa.select(Message)).all()
    assert message.category == "case" and message.subject == "We received your request CS-2026-000123"
    assert "Hello Jo," in message.body and f"{PUBLIC_URL}/portal/cases" in message.body
    [email] = session.scalars(sa.select(OutgoingEmail)).all()
    assert email.person_id == person_id and email.to_address is None
    assert [e.full_name() for e in published] == ["notifications.message_created"]


def test_an_anonymous_sender_is_e_mailed_the_reference_at_their_address_only(service):
    worker, session, published = service

    worker.handle_case_opened(opened(name="Pat", email="pat@example.com", via="email"))

    assert session.scalars(sa.select(Message)).all() == []
    [email] = session.scalars(sa.select(OutgoingEmail)).all()
    assert (email.person_id, email.to_address) == (None, "pat@example.com")
    assert "CS-2026-000123" in email.body and "Hello Pat," in email.body
    assert "put it in the subject" in email.body  # it came by e-mail
    assert "/portal/messages" not in email.body  # no Portal to point to
    assert published == []


def test_automatic_mail_is_not_answered(service):
    worker, session, _ = service
    worker.handle_case_opened(opened(email="mailer-daemon@example.com", acknowledge=False))
    assert session.scalars(sa.select(OutgoingEmail)).all() == []


def test_the_same_event_twice_sends_one_email(service):
    worker, session, _ = service
    event = opened(email="pat@example.com")
    worker.handle_case_opened(event)
    worker.handle_case_opened(event)
    assert len(session.scalars(sa.select(OutgoingEmail)).all()) == 1


def test_a_reply_reaches_a_person_in_the_message_center_and_an_anonymous_sender_by_email(service):
    worker, session, _ = service
    person_id = uuid.uuid4()
    reply = {"case_id": str(uuid.uuid4()), "reference": "CS-2026-000123", "subject": "My CDL",
             "body": "We filed your CDL.\nContract Services"}
    worker.handle_case_replied(CaseReplied(**reply, person_id=person_id).model_dump(mode="json"))
    worker.handle_case_replied(CaseReplied(**reply, email="pat@example.com").model_dump(mode="json"))

    [message] = session.scalars(sa.select(Message)).all()
    assert message.person_id == person_id and message.category == "case"
    assert message.subject == "Re: My CDL [CS-2026-000123]" and "We filed your CDL." in message.body
    anonymous = session.scalar(sa.select(OutgoingEmail).where(OutgoingEmail.to_address.is_not(None)))
    assert anonymous.to_address == "pat@example.com" and "We filed your CDL." in anonymous.body
    assert "<blockquote" in anonymous.html


class Transport:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


def test_the_mail_loop_sends_an_email_with_no_person_to_its_address(sessions):
    with sessions() as session:
        domain.send_email_to_address(session, "pat@example.com", "We received your request", "Hello Pat")
        session.commit()
    transport = Transport()

    assert send_due(sessions, transport, "Contract Services <no-reply@thehub.local>") == 1

    [sent] = transport.sent
    assert sent["To"] == "pat@example.com"
    with sessions() as session:
        email = session.scalar(sa.select(OutgoingEmail))
        assert (email.status, email.sent_to) == ("sent", "pat@example.com")
