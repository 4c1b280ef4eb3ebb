"""Batch publishing with one wait for confirms (common.confirmed_batch) against a real broker:
every confirmed message is reported, an unroutable one is told apart, and a broker that cannot
be reached is an error (the outbox keeps those rows pending and the relay backs off)."""
import json

import pytest
from kombu import Connection, Exchange, Queue
from kombu.exceptions import OperationalError

from common.confirmed_batch import Outgoing, publish_confirmed

pytestmark = pytest.mark.broker


def test_a_batch_is_confirmed_message_by_message_and_unroutable_ones_are_told_apart(service_config):
    uri = service_config["AMQP_URI"]
    exchange = Exchange("test-batch", type="topic", durable=True)
    with Connection(uri) as connection:
        channel = connection.channel()
        exchange(channel).declare()
        Queue("test-batch-tap", exchange=exchange, routing_key="routed.#", durable=False)(channel).declare()

        messages = [Outgoing(key=f"k{i}", exchange="test-batch", routing_key="routed.event",
                             payload=json.dumps({"n": i})) for i in range(300)]
        messages.append(Outgoing(key="lost", exchange="test-batch", routing_key="nobody.listens", payload={"n": -1}))
        outcomes = publish_confirmed(uri, messages)

        assert outcomes == {**{f"k{i}": "delivered" for i in range(300)}, "lost": "unrouted"}
        received = []
        while (message := channel.basic_get("test-batch-tap", no_ack=True)) is not None:
            received.append((message.properties["message_id"], json.loads(message.body)["n"],
                             message.properties["delivery_mode"], message.properties["content_type"]))
    assert received == [(f"k{i}", i, 2, "application/json") for i in range(300)]


def test_a_broker_that_cannot_be_reached_is_an_error_for_the_caller_to_back_off_from():
    with pytest.raises((OSError, OperationalError)):
        publish_confirmed("amqp://guest:guest@127.0.0.1:1/", [
            Outgoing(key="a", exchange="x", routing_key="y", payload={})], timeout=2)
