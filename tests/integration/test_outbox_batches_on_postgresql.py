"""The outbox relay's batches (issue 12) on PostgreSQL and a real broker: the rows of a batch are
marked with one UPDATE per outcome, which must mark exactly the rows the broker confirmed; two
relays racing over several batches still publish each event once; a batch bigger than the
socket write buffer (common.confirmed_batch gathers the frames of many messages into one write)
arrives whole and in order, and the connection is left as it was found."""
import json
import uuid

import eventlet
import pytest
import sqlalchemy as sa
from kombu import Connection, Exchange, Queue

from common import confirmed_batch, publisher
from common.confirmed_batch import Outgoing, publish_confirmed
from common.events.accounts import InvitationSent, PersonRegistered
from common.migrations import upgrade_to_head
from common.publisher import REDACTED, outbox_row, relay_pending
from common.topology import declare_topology, event_exchange
from tests.integration.test_reliability import make_registered
from tests.support.databases import service_sessions

pytestmark = pytest.mark.postgres


def accounts_sessions(postgres_url):
    url = postgres_url()
    upgrade_to_head("accounts", url)
    return service_sessions("accounts", {"ACCOUNTS_DB_URL": url})


def invitation() -> InvitationSent:
    return InvitationSent(person_id=uuid.uuid4(), claim_url=f"https://hub.example/claim?token={uuid.uuid4().hex}",
                          expires_at="2030-01-01T00:00:00+00:00")


def test_a_batch_marks_on_postgresql_exactly_the_rows_the_broker_confirmed(postgres_url, monkeypatch):
    sessions = accounts_sessions(postgres_url)
    events = [make_registered() for _ in range(8)] + [invitation(), invitation()]
    with sessions() as session:
        session.add_all([outbox_row(session.info["base"], e) for e in events])
        session.commit()
        outbox = session.info["base"].OutboxMessage
        ids = {row.event_id: str(row.id) for row in session.scalars(sa.select(outbox))}
    confirmed = {ids[e.event_id]: "delivered" for e in events[:5]}
    confirmed[ids[events[5].event_id]] = "unrouted"
    confirmed[ids[events[8].event_id]] = "delivered"  # one invitation confirmed, the other not
    sent = []

    def broker_confirming_some(uri, messages, ssl=None):
        sent.extend(m.key for m in messages)
        return {m.key: confirmed[m.key] for m in messages if m.key in confirmed}

    monkeypatch.setattr(publisher, "publish_confirmed", broker_confirming_some)
    assert relay_pending(sessions, "amqp://unused//") == 7
    assert sorted(sent) == sorted(ids.values())

    with sessions() as session:
        rows = {str(row.id): row for row in session.scalars(sa.select(outbox))}
    for key, row in rows.items():
        if key in confirmed:
            assert (row.sent_at is not None, row.outcome, row.attempts) == (True, confirmed[key], 1)
        else:
            assert (row.sent_at, row.outcome, row.attempts) == (None, None, 0)
    assert json.loads(rows[ids[events[8].event_id]].payload)["claim_url"] == REDACTED
    assert json.loads(rows[ids[events[9].event_id]].payload)["claim_url"] == events[9].claim_url

    # the next round publishes only what is still pending, and marks it once
    sent.clear()
    monkeypatch.setattr(publisher, "publish_confirmed",
                        lambda uri, messages, ssl=None: (sent.extend(m.key for m in messages)
                                                         or {m.key: "delivered" for m in messages}))
    assert relay_pending(sessions, "amqp://unused//") == 3
    assert sorted(sent) == sorted(set(ids.values()) - set(confirmed))
    with sessions() as session:
        assert [row.attempts for row in session.scalars(sa.select(outbox))] == [1] * 10
    assert relay_pending(sessions, "amqp://unused//") == 0


@pytest.mark.broker
def test_two_relays_racing_over_several_batches_publish_each_event_once(service_config, postgres_url, monkeypatch):
    monkeypatch.setattr(publisher, "RELAY_BATCH", 100)
    sessions = accounts_sessions(postgres_url)
    events = [make_registered() for _ in range(450)]
    with sessions() as session:
        session.add_all([outbox_row(session.info["base"], e) for e in events])
        session.commit()
    uri = service_config["AMQP_URI"]
    declare_topology(uri, service_config)
    with Connection(uri) as connection:
        Queue("test-batches-tap", exchange=event_exchange("accounts", service_config), routing_key="#",
              durable=False)(connection.channel()).declare()

        def relay_all(_):
            total = 0
            while sent := relay_pending(sessions, uri, service_config):
                total += sent
                eventlet.sleep(0)
            return total

        assert sum(eventlet.GreenPool(2).imap(relay_all, range(2))) == len(events)
        seen = []
        channel = connection.channel()
        while (message := channel.basic_get("test-batches-tap", no_ack=True)) is not None:
            seen.append(PersonRegistered.model_validate_json(message.body).event_id)
    assert sorted(map(str, seen)) == sorted(str(e.event_id) for e in events)
    with sessions() as session:
        outbox = session.info["base"].OutboxMessage
        assert session.execute(sa.select(sa.func.min(outbox.attempts), sa.func.max(outbox.attempts))).one() == (1, 1)


@pytest.mark.broker
def test_a_batch_bigger_than_the_write_buffer_arrives_whole_in_order_and_the_socket_is_left_as_found(service_config):
    uri = service_config["AMQP_URI"]
    exchange = Exchange("test-big-batch", type="topic", durable=True)
    padding = "x" * 400
    count = 3 * confirmed_batch.WRITE_BUFFER_BYTES // len(padding)  # a few buffers' worth
    with Connection(uri) as connection:
        channel = connection.channel()
        exchange(channel).declare()
        Queue("test-big-batch-tap", exchange=exchange, routing_key="#", durable=False)(channel).declare()
        messages = [Outgoing(key=f"m{i}", exchange="test-big-batch", routing_key="big",
                             payload={"n": i, "pad": padding}) for i in range(count)]
        assert publish_confirmed(uri, messages) == {f"m{i}": "delivered" for i in range(count)}
        # the pooled connection writes straight to its socket again: a second batch on it works
        assert publish_confirmed(uri, messages[:3]) == {"m0": "delivered", "m1": "delivered", "m2": "delivered"}
        received = []
        while (message := channel.basic_get("test-big-batch-tap", no_ack=True)) is not None:
            received.append(json.loads(message.body)["n"])
    assert received == list(range(count)) + [0, 1, 2]


def test_the_write_hook_is_removed_even_when_a_write_fails():
    class Transport:
        def __init__(self):
            self.written = []
            self._write = self.written.append

    transport = Transport()
    original = transport._write

    class Broken(Exception):
        pass

    with pytest.raises(Broken), confirmed_batch._coalesced_writes(type("Conn", (), {"transport": transport})()):
        transport._write(b"frame")
        raise Broken
    assert transport._write == original and transport.written == []  # nothing half-sent after a failure

    with confirmed_batch._coalesced_writes(type("Conn", (), {"transport": transport})()):
        transport._write(b"one")
        transport._write(memoryview(b"two"))
    assert transport.written == [b"onetwo"] and transport._write == original
