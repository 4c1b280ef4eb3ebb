"""Batch confirms over verified TLS (issue 12): common.confirmed_batch gathers many messages'
frames into one write, and the TLS transport writes differently from plain TCP; a batch of a few
write buffers' worth goes out whole and in order through the TLS proxy, and the pooled
connection works for the next batch."""
import json

import kombu.pools
import pytest
from kombu import Connection, Exchange, Queue

from common import confirmed_batch
from common.confirmed_batch import Outgoing, publish_confirmed
from tests.deploy.test_broker_tls import tls_config, tls_proxy  # noqa: F401 - the fixtures

pytestmark = pytest.mark.broker


def test_a_batch_of_several_write_buffers_goes_out_whole_and_in_order_over_tls(tls_config, service_config):  # noqa: F811
    kombu.pools.reset()  # pools are keyed by host and credentials, not TLS options
    exchange = Exchange("test-tls-batch", type="topic", durable=True)
    padding = "y" * 500
    count = 3 * confirmed_batch.WRITE_BUFFER_BYTES // len(padding)
    with Connection(service_config["AMQP_URI"]) as plain:  # read back on the broker directly
        channel = plain.channel()
        exchange(channel).declare()
        Queue("test-tls-batch-tap", exchange=exchange, routing_key="#", durable=False)(channel).declare()
        messages = [Outgoing(key=f"t{i}", exchange="test-tls-batch", routing_key="tls",
                             payload={"n": i, "pad": padding}) for i in range(count)]
        ssl = tls_config["AMQP_SSL"]
        assert publish_confirmed(tls_config["AMQP_URI"], messages, ssl=dict(ssl)) == {
            f"t{i}": "delivered" for i in range(count)}
        assert publish_confirmed(tls_config["AMQP_URI"], messages[:2], ssl=dict(ssl)) == {
            "t0": "delivered", "t1": "delivered"}
        received = []
        while (message := channel.basic_get("test-tls-batch-tap", no_ack=True)) is not None:
            received.append(json.loads(message.body)["n"])
    kombu.pools.reset()
    assert received == list(range(count)) + [0, 1]
