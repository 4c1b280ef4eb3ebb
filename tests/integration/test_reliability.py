"""SPEC §8 reliability, against the real broker: nothing lost, nothing applied twice, no loops."""
import uuid

import pytest
import sqlalchemy as sa
from accounts.service import AccountsService
from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from notifications import domain as notifications_domain
from notifications.models import Message, OutgoingEmail
from notifications.service import NotificationsService

from common.events.accounts import PersonRegistered
from common.topology import Subscription
from hubstack import deadletters
from tests.support.databases import service_sessions
from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = pytest.mark.broker

WELCOME = Subscription("notifications", "accounts", "person_registered")


def queue_depth(amqp_uri: str, name: str) -> int:
    with Connection(amqp_uri) as connection:
        _, count, _ = connection.channel().queue_declare(name, passive=True)
        return count


def publish_registered(config, event: PersonRegistered):
    Publisher(config["AMQP_URI"], use_confirms=True).publish(
        event.model_dump(mode="json"), exchange=get_event_exchange("accounts", config),
        routing_key=event.event_type)


def make_registered() -> PersonRegistered:
    return PersonRegistered(person_id=uuid.uuid4(), il_number=f"{uuid.uuid4().int % 10**10:010d}",
                            first_name="Pat", last_name="Grip")


def messages_for(config, person_id) -> list:
    with service_sessions("notifications", config)() as session:
        return session.scalars(sa.select(Message).where(Message.person_id == person_id)).all()


def test_event_published_before_its_consumer_ever_started_is_not_lost(container_factory, service_config, rpc):
    accounts = container_factory(AccountsService, service_config)
    accounts.start()
    created = rpc.accounts.create_account(make_person())
    wait_until(lambda: rpc.accounts.health()["outbox_pending"] == 0, message="the outbox to drain")
    # notifications has never run on this vhost, yet its queue exists and holds the event
    assert queue_depth(service_config["AMQP_URI"], WELCOME.queue_name) == 1

    container_factory(NotificationsService, service_config).start()
    inbox = wait_until(lambda: rpc.notifications.list_messages(created["person_id"])["messages"],
                       timeout=20, message="the welcome message")
    assert len(inbox) == 1


def test_event_queues_are_durable_and_events_persistent(container_factory, service_config, rpc,
                                                        rabbit_manager):
    container_factory(AccountsService, service_config).start()
    rpc.accounts.create_account(make_person())
    wait_until(lambda: queue_depth(service_config["AMQP_URI"], WELCOME.queue_name) == 1,
               message="the event in the notifications queue")
    for name in (WELCOME.queue_name, WELCOME.retry_queue_name, WELCOME.parked_queue_name):
        queue = rabbit_manager.get_queue(service_config["vhost"], name)
        assert queue["durable"] is True and queue["auto_delete"] is False
    with Connection(service_config["AMQP_URI"]) as connection:
        channel = connection.channel()
        message = channel.basic_get(WELCOME.queue_name, no_ack=False)
        assert message.properties["delivery_mode"] == 2  # persistent: survives a broker restart
        channel.basic_reject(message.delivery_tag, requeue=True)


def test_failing_handler_retries_a_bounded_number_of_times_then_parks_the_event(
        container_factory, service_config, monkeypatch, rpc):
    calls = []

    def broken_welcome(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("template store is down")

    monkeypatch.setattr(notifications_domain, "welcome", broken_welcome)
    container_factory(NotificationsService, service_config).start()
    event = make_registered()
    publish_registered(service_config, event)

    uri = service_config["AMQP_URI"]
    wait_until(lambda: queue_depth(uri, WELCOME.parked_queue_name) == 1, timeout=20,
               message="the event to be parked")
    assert len(calls) == service_config["EVENT_MAX_ATTEMPTS"]
    assert queue_depth(uri, WELCOME.queue_name) == 0
    assert queue_depth(uri, WELCOME.retry_queue_name) == 0
    parked = deadletters.peek(uri, WELCOME.queue_name)
    assert "template store is down" in parked[0]["last_error"]
    assert parked[0]["attempts"] == service_config["EVENT_MAX_ATTEMPTS"]
    assert messages_for(service_config, event.person_id) == []
    # the service itself says so, for the staff home's "Parked events"
    assert rpc.notifications.parked_events()["parked"][WELCOME.queue_name] == 1

    # the operator fixes the cause and replays: the event is applied, once
    monkeypatch.undo()
    assert deadletters.replay(uri, WELCOME.queue_name) == 1
    wait_until(lambda: messages_for(service_config, event.person_id), timeout=20,
               message="the replayed event to be handled")
    assert queue_depth(uri, WELCOME.parked_queue_name) == 0
    assert len(messages_for(service_config, event.person_id)) == 1


def test_handler_that_fails_once_succeeds_on_retry_without_duplicates(container_factory, service_config,
                                                                      monkeypatch):
    real_welcome = notifications_domain.welcome
    calls = []

    def flaky_welcome(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("blip")
        return real_welcome(*args, **kwargs)

    monkeypatch.setattr(notifications_domain, "welcome", flaky_welcome)
    container_factory(NotificationsService, service_config).start()
    event = make_registered()
    publish_registered(service_config, event)
    wait_until(lambda: messages_for(service_config, event.person_id), timeout=20,
               message="the retried event to be handled")
    assert len(calls) == 2
    assert len(messages_for(service_config, event.person_id)) == 1
    assert queue_depth(service_config["AMQP_URI"], WELCOME.parked_queue_name) == 0


def test_the_same_event_delivered_twice_is_applied_once(container_factory, service_config):
    container_factory(NotificationsService, service_config).start()
    event = make_registered()
    publish_registered(service_config, event)
    publish_registered(service_config, event)
    wait_until(lambda: queue_depth(service_config["AMQP_URI"], WELCOME.queue_name) == 0
               and messages_for(service_config, event.person_id), message="both deliveries handled")
    eventlet_settle()
    assert len(messages_for(service_config, event.person_id)) == 1
    with service_sessions("notifications", service_config)() as session:
        emails = session.scalars(sa.select(OutgoingEmail).where(OutgoingEmail.person_id == event.person_id)).all()
    assert len(emails) == 1


def test_committed_event_whose_producer_died_before_publishing_is_still_delivered(
        container_factory, service_config, rpc):
    """The producer committed the change and its outbox row, then died before publishing."""
    from accounts import registration

    from common import config as hub_config
    from common.contracts.accounts import CreateAccountIn
    from common.migrations import upgrade_to_head
    from common.publisher import outbox_row

    upgrade_to_head("accounts", hub_config.db_url("accounts", service_config))
    sessions = service_sessions("accounts", service_config)
    with sessions() as session:
        person, events = registration.create_account(session, CreateAccountIn(**make_person()))
        for event in events:
            session.add(outbox_row(session.info["base"], event))
        session.commit()
        person_id = person.id

    # the producer comes back; its relay finds the pending rows
    container_factory(AccountsService, service_config).start()
    container_factory(NotificationsService, service_config).start()
    inbox = wait_until(lambda: rpc.notifications.list_messages(str(person_id))["messages"], timeout=20,
                       message="the welcome message")
    assert len(inbox) == 1


def eventlet_settle(seconds: float = 0.5):
    import eventlet
    eventlet.sleep(seconds)
