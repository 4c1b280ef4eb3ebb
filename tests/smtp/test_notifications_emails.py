"""Notification e-mails as a person receives them, over a real SMTP server: the deadline
reminder (requirement, date, action, the link to the classification), the after-lapse one, what
the master switch lets through (mandatory ones), the daily digest, and two mail loops at once
sending each e-mail once."""
import threading
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from notifications import domain, preferences
from notifications.mail import SmtpTransport
from notifications.models import Base, OutgoingEmail, Recipient
from notifications.sender import send_due

from common.contracts.notifications import PreferencesIn
from common.db import create_engine_for, make_session_factory
from common.events.rosters import DeadlineApproaching
from common.migrations import upgrade_to_head

pytestmark = pytest.mark.smtp

MAIL_FROM = "Contract Services <no-reply@thehub.local>"
PUBLIC_URL = "https://hub.example"
GRIP = "IATSE, Local #80 (Grip)"


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


def person(session_factory, email_notifications=True) -> tuple[uuid.UUID, str]:
    person_id = uuid.uuid4()
    to = f"pat.{person_id.hex[:8]}@example.com"
    with session_factory() as session:
        session.add(Recipient(person_id=person_id, email=to, first_name="Pat",
                              email_notifications=email_notifications))
        session.commit()
    return person_id, to


def reminder(person_id, days_left=7, due_on=date(2027, 3, 15)) -> DeadlineApproaching:
    return DeadlineApproaching(person_id=person_id, classification_code="80-GRIP", classification_name=GRIP,
                               requirement="Harassment Prevention (HP1 or HP2)", due_on=due_on,
                               days_left=days_left, placed=True)


def texts(received) -> tuple[str, str]:
    text, html = received.iter_parts()
    return text.get_content(), html.get_content()


def test_the_deadline_reminder_arrives_naming_the_requirement_the_date_and_the_action(session_factory, transport,
                                                                                         smtp):
    person_id, to = person(session_factory)
    with session_factory() as session:
        domain.deadline_approaching(session, reminder(person_id), PUBLIC_URL)
        session.commit()
    send_due(session_factory, transport, MAIL_FROM)
    [received] = smtp.messages_to(to)
    assert received["Subject"] == "Due in 7 days: Harassment Prevention (HP1 or HP2)"
    text, html = texts(received)
    for body in (text, html):
        assert "Harassment Prevention (HP1 or HP2)" in body and "March 15, 2027" in body
        assert "What to do" in body and f"{PUBLIC_URL}/portal/classifications/80-GRIP" in body
        assert str(person_id) not in body


def test_the_reminder_after_the_lapse_arrives_as_overdue(session_factory, transport, smtp):
    person_id, to = person(session_factory)
    with session_factory() as session:
        domain.deadline_approaching(session, reminder(person_id, days_left=-7, due_on=date(2027, 3, 8)), PUBLIC_URL)
        session.commit()
    send_due(session_factory, transport, MAIL_FROM)
    [received] = smtp.messages_to(to)
    assert received["Subject"] == "Overdue by 7 days: Harassment Prevention (HP1 or HP2)"
    text, _ = texts(received)
    assert "7 days ago, and is still not met" in text and "suspended from the roster" in text


def test_with_email_turned_off_in_accounts_only_mandatory_ones_arrive(session_factory, transport, smtp):
    person_id, to = person(session_factory, email_notifications=False)
    with session_factory() as session:
        domain.post_message(session, person_id, "training", "Enrolled: HP1", "Your class is on Monday.")
        domain.deadline_approaching(session, reminder(person_id), PUBLIC_URL)
        session.commit()
    send_due(session_factory, transport, MAIL_FROM)
    assert [m["Subject"] for m in smtp.messages_to(to)] == ["Due in 7 days: Harassment Prevention (HP1 or HP2)"]
    with session_factory() as session:
        statuses = {c: s for c, s in session.execute(sa.select(OutgoingEmail.category, OutgoingEmail.status))}
        out = preferences.list_deliveries(session, person_id)
    assert statuses == {"training": "skipped", "deadline": "sent"}
    assert {d.status for d in out.deliveries} == {"sent", "failed"}


def test_the_digest_arrives_as_one_email_listing_the_held_messages(session_factory, transport, smtp):
    person_id, to = person(session_factory)
    with session_factory() as session:
        preferences.update_preferences(session, person_id, PreferencesIn(digest=True))
        domain.post_message(session, person_id, "training", "Enrolled: HP1", "Body")
        domain.post_message(session, person_id, "document", "Document approved: CDL", "Body")
        session.commit()
    assert send_due(session_factory, transport, MAIL_FROM) == 0  # held for the digest
    with session_factory() as session:
        preferences.gather_digests(session, PUBLIC_URL)
        session.commit()
    send_due(session_factory, transport, MAIL_FROM)
    [received] = smtp.messages_to(to)
    assert received["Subject"] == "Your Industry Hub digest: 2 new messages"
    text, html = texts(received)
    assert "Enrolled: HP1" in text and "Document approved: CDL" in html and f"{PUBLIC_URL}/portal/messages" in text


def test_two_mail_loops_at_once_send_each_email_once(session_factory, transport, smtp):
    person_id, to = person(session_factory)
    with session_factory() as session:
        for i in range(6):
            domain.post_message(session, person_id, "training", f"Message {i}", "Body")
        session.commit()
    loops = [threading.Thread(target=send_due, args=(session_factory, transport, MAIL_FROM)) for _ in range(2)]
    for loop in loops:
        loop.start()
    for loop in loops:
        loop.join(timeout=60)
    assert sorted(m["Subject"] for m in smtp.messages_to(to)) == [f"Message {i}" for i in range(6)]
