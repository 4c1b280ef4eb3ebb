"""The mail loop (notifications.sender.send_due) on a real SQLite database and a real SMTP server."""
import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from notifications import domain
from notifications.mail import SmtpTransport
from notifications.models import Base, OutgoingEmail, Recipient
from notifications.sender import send_due

from common.db import create_engine_for, make_session_factory
from common.events.accounts import ContactDetailsChanged, InvitationSent, PersonRegistered
from common.migrations import upgrade_to_head

pytestmark = pytest.mark.smtp

MAIL_FROM = "Contract Services <no-reply@thehub.local>"


@pytest.fixture
def session_factory(tmp_path):
    url = f"sqlite:///{tmp_path / 'notifications.db'}"
    upgrade_to_head("notifications", url)
    engine = create_engine_for(url)
    yield make_session_factory(engine, Base)
    engine.dispose()


@pytest.fixture
def transport(smtp):
    return SmtpTransport("127.0.0.1", smtp.port, MAIL_FROM, timeout=10)


def address(local: str = "pat") -> str:
    return f"{local}.{uuid.uuid4().hex[:8]}@example.com"


def add_recipient(session_factory, person_id, email, email_notifications=True):
    with session_factory() as session:
        session.add(Recipient(person_id=person_id, email=email, first_name="Pat",
                              email_notifications=email_notifications))
        session.commit()


def queue_email(session_factory, person_id, subject="Your Safety Pass class") -> uuid.UUID:
    with session_factory() as session:
        domain.post_message(session, person_id, "training", subject, "Your class is on Monday.")
        session.commit()
        return session.scalar(sa.select(OutgoingEmail.id).where(OutgoingEmail.person_id == person_id))


def load(session_factory, email_id) -> OutgoingEmail:
    with session_factory() as session:
        return session.get(OutgoingEmail, email_id)


def test_a_pending_email_to_a_known_address_is_sent_and_marked_sent(session_factory, transport, smtp):
    person_id, to = uuid.uuid4(), address()
    add_recipient(session_factory, person_id, to)
    email_id = queue_email(session_factory, person_id)

    assert send_due(session_factory, transport, MAIL_FROM) == 1

    row = load(session_factory, email_id)
    assert row.status == "sent"
    assert row.sent_to == to
    assert row.sent_at is not None
    assert row.attempts == 1
    [received] = smtp.messages_to(to)
    assert received["Subject"] == "Your Safety Pass class"
    assert received["Message-ID"] == f"<{email_id}@thehub.local>"
    assert send_due(session_factory, transport, MAIL_FROM) == 0  # not sent twice


@pytest.mark.parametrize("recipient_on_file", [False, True], ids=["no-recipient", "recipient-without-email"])
def test_an_email_without_an_address_waits_until_the_contact_details_arrive(
        session_factory, transport, smtp, recipient_on_file):
    person_id, to = uuid.uuid4(), address()
    if recipient_on_file:
        add_recipient(session_factory, person_id, None)
    email_id = queue_email(session_factory, person_id)
    queued_for = load(session_factory, email_id).next_attempt_at

    send_due(session_factory, transport, MAIL_FROM)

    waiting = load(session_factory, email_id)
    assert waiting.status == "pending"
    assert waiting.attempts == 0
    assert waiting.next_attempt_at > datetime.now(UTC) > queued_for
    assert send_due(session_factory, transport, MAIL_FROM) == 0  # not due again yet

    with session_factory() as session:
        domain.record_contact(session, ContactDetailsChanged(person_id=person_id, email=to,
                                                             first_name="Pat"))
        session.commit()
    assert send_due(session_factory, transport, MAIL_FROM) == 1

    sent = load(session_factory, email_id)
    assert sent.status == "sent"
    assert sent.sent_to == to
    assert len(smtp.messages_to(to)) == 1


def test_a_refused_address_fails_the_email_and_reports_it_through_the_outbox(
        session_factory, transport, smtp):
    person_id = uuid.uuid4()
    add_recipient(session_factory, person_id, address("bounce"))
    email_id = queue_email(session_factory, person_id)

    send_due(session_factory, transport, MAIL_FROM)

    row = load(session_factory, email_id)
    assert row.status == "failed"
    assert row.sent_at is None
    assert "550" in row.last_error
    with session_factory() as session:
        [event] = session.scalars(sa.select(Base.OutboxMessage)).all()
    assert (event.exchange_source, event.event_type) == ("notifications", "email_failed")
    assert event.sent_at is None  # waiting for the relay
    payload = json.loads(event.payload)
    assert payload["person_id"] == str(person_id)
    assert payload["email_id"] == str(email_id)
    assert payload["smtp_code"] == 550
    assert smtp.messages() == []


def test_a_busy_mailbox_keeps_the_email_pending_for_a_later_attempt(session_factory, transport, smtp):
    person_id = uuid.uuid4()
    add_recipient(session_factory, person_id, address("busy"))
    email_id = queue_email(session_factory, person_id)

    send_due(session_factory, transport, MAIL_FROM)

    row = load(session_factory, email_id)
    assert row.status == "pending"
    assert row.attempts == 1
    assert "451" in row.last_error
    assert row.next_attempt_at > datetime.now(UTC)
    with session_factory() as session:
        assert session.scalars(sa.select(Base.OutboxMessage)).all() == []
    assert smtp.messages() == []


def test_a_person_who_opted_out_of_email_is_skipped(session_factory, transport, smtp):
    person_id = uuid.uuid4()
    add_recipient(session_factory, person_id, address(), email_notifications=False)
    email_id = queue_email(session_factory, person_id)

    send_due(session_factory, transport, MAIL_FROM)

    row = load(session_factory, email_id)
    assert row.status == "skipped"
    assert row.attempts == 0
    assert row.sent_to is None
    assert smtp.messages() == []


def test_a_templated_message_is_sent_as_text_and_html(session_factory, transport, smtp):
    person_id, to = uuid.uuid4(), address()
    add_recipient(session_factory, person_id, to)
    with session_factory() as session:
        domain.welcome(session, PersonRegistered(person_id=person_id, il_number="0123456789",
                                                 first_name="Pat", last_name="Doe"), "https://hub.example")
        session.commit()

    assert send_due(session_factory, transport, MAIL_FROM) == 1

    [received] = smtp.messages_to(to)
    assert received.get_content_type() == "multipart/alternative"
    assert "Your IL number is 0123456789." in received.get_body(("plain",)).get_content()
    assert 'href="https://hub.example/portal"' in received.get_body(("html",)).get_content()


def test_a_sent_invitation_keeps_its_link_in_neither_text_nor_html(session_factory, transport, smtp):
    person_id, to = uuid.uuid4(), address()
    add_recipient(session_factory, person_id, to)
    with session_factory() as session:
        email, _ = domain.invitation(session, InvitationSent(
            person_id=person_id, claim_url="https://hub.example/claim?token=secret",
            expires_at="2027-01-08T06:00:00+00:00"), "https://hub.example")
        session.commit()
        email_id = email.id

    send_due(session_factory, transport, MAIL_FROM)

    [received] = smtp.messages_to(to)
    assert "claim?token=secret" in received.get_body(("html",)).get_content()
    row = load(session_factory, email_id)
    assert row.status == "sent" and "secret" not in row.body and row.html is None
