import uuid

import pytest
import sqlalchemy as sa

from common.errors import NotFound
from common.events.accounts import ContactDetailsChanged, PersonRegistered
from notifications import domain
from notifications.models import OutgoingEmail
from tests.support.databases import memory_sessions


@pytest.fixture
def session():
    with memory_sessions("notifications")() as session:
        yield session


def registered():
    return PersonRegistered(person_id=uuid.uuid4(), il_number="0123456789", first_name="Jo", last_name="Doe")


def test_welcome_posts_a_message_with_the_il_number_and_queues_an_email(session):
    event = registered()
    message, created = domain.welcome(session, event, "https://hub.example")
    session.commit()
    assert "0123456789" in message.body and "https://hub.example/portal" in message.body
    assert created.message_id == message.id and created.person_id == event.person_id
    email = session.scalar(sa.select(OutgoingEmail))
    assert email.status == "pending" and email.subject == "Welcome to the Industry Hub"


def test_inbox_lists_newest_first_and_counts_unread(session):
    person = uuid.uuid4()
    first, _ = domain.post_message(session, person, "account", "First", "a", email=False)
    second, _ = domain.post_message(session, person, "account", "Second", "b", email=False)
    second.created_at = first.created_at.replace(year=first.created_at.year + 1)
    session.commit()
    inbox = domain.list_messages(session, person)
    assert [m.subject for m in inbox.messages] == ["Second", "First"]
    assert inbox.unread == 2
    domain.mark_read(session, person, first.id)
    session.commit()
    assert domain.list_messages(session, person).unread == 1


def test_someone_elses_message_cannot_be_marked_read(session):
    message, _ = domain.post_message(session, uuid.uuid4(), "account", "Private", "x", email=False)
    session.commit()
    with pytest.raises(NotFound):
        domain.mark_read(session, uuid.uuid4(), message.id)


def test_a_new_address_releases_emails_that_were_waiting_for_one(session):
    event = registered()
    domain.welcome(session, event, "https://hub.example")
    email = session.scalar(sa.select(OutgoingEmail))
    email.next_attempt_at = email.next_attempt_at.replace(year=email.next_attempt_at.year + 1)
    session.commit()
    domain.record_contact(session, ContactDetailsChanged(person_id=event.person_id, email="jo@example.com",
                                                         first_name="Jo"))
    session.commit()
    session.refresh(email)
    assert email.next_attempt_at <= domain.now()
