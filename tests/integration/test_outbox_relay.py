"""The outbox relay on PostgreSQL: replicas relaying at the same time publish each event once."""
import eventlet
import pytest
import sqlalchemy as sa
from kombu import Connection, Queue

from common.events.accounts import PersonRegistered
from common.migrations import upgrade_to_head
from common.publisher import outbox_row, relay_pending
from common.topology import declare_topology, event_exchange
from tests.integration.test_reliability import make_registered
from tests.support.databases import service_sessions

pytestmark = [pytest.mark.broker, pytest.mark.postgres]


def test_two_relays_racing_publish_every_event_exactly_once(service_config, postgres_url):
    config = {**service_config, "ACCOUNTS_DB_URL": postgres_url()}
    upgrade_to_head("accounts", config["ACCOUNTS_DB_URL"])
    sessions = service_sessions("accounts", config)
    events = [make_registered() for _ in range(120)]
    with sessions() as session:
        for event in events:
            session.add(outbox_row(session.info["base"], event))
        session.commit()

    uri = config["AMQP_URI"]
    declare_topology(uri, config)
    with Connection(uri) as connection:
        tap = Queue("test-tap", exchange=event_exchange("accounts", config), routing_key="#", durable=False)
        tap(connection.channel()).declare()

        pool = eventlet.GreenPool(2)
        relayed = list(pool.imap(lambda _: _relay_all(sessions, uri, config), range(2)))
        assert sum(relayed) == len(events)

        seen = []
        channel = connection.channel()
        while (message := channel.basic_get("test-tap", no_ack=True)) is not None:
            seen.append(PersonRegistered.model_validate_json(message.body).event_id)
    assert sorted(map(str, seen)) == sorted(str(e.event_id) for e in events)

    with sessions() as session:
        outbox = session.info["base"].OutboxMessage
        assert session.scalar(sa.select(sa.func.count()).select_from(outbox).where(outbox.sent_at.is_(None))) == 0


def _relay_all(sessions, uri, config) -> int:
    total = 0
    while (sent := relay_pending(sessions, uri, config)):
        total += sent
        eventlet.sleep(0)
    return total
