"""Every RPC call from the gateway has a timeout, and a missing or stuck service is a clear 503."""
import time

import eventlet
import pytest
from nameko.rpc import rpc

from common.errors import NotFound, ServiceUnavailable
from gateway.rpc import RpcPool

pytestmark = pytest.mark.broker


class SlowService:
    name = "slow"

    @rpc
    def nap(self, seconds):
        eventlet.sleep(seconds)
        return "awake"

    @rpc(expected_exceptions=(NotFound,))
    def missing(self):
        raise NotFound("No such thing.")


def test_a_stuck_service_times_out_as_service_unavailable(container_factory, service_config):
    container_factory(SlowService, service_config).start()
    pool = RpcPool(service_config["AMQP_URI"], size=2, timeout=1)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as error:
        pool.call("slow", "nap", 10)
    assert time.monotonic() - started < 5
    assert "did not answer in time" in error.value.message
    # the pool stays usable and the timed-out proxy was not reused
    assert pool.call("slow", "nap", 0) == "awake"
    pool.close()


def test_a_service_that_is_not_running_is_service_unavailable_at_once(service_config):
    pool = RpcPool(service_config["AMQP_URI"], size=1, timeout=5)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        pool.call("nobody", "anything")
    assert time.monotonic() - started < 4
    pool.close()


def test_a_remote_hub_error_arrives_as_the_same_error_class(container_factory, service_config):
    container_factory(SlowService, service_config).start()
    pool = RpcPool(service_config["AMQP_URI"], size=1, timeout=5)
    with pytest.raises(NotFound) as error:
        pool.call("slow", "missing")
    assert error.value.message == "No such thing."
    assert pool.call("slow", "nap", 0) == "awake"  # the proxy survived the remote error
    pool.close()


def test_concurrent_callers_share_a_bounded_pool(container_factory, service_config):
    container_factory(SlowService, service_config).start()
    pool = RpcPool(service_config["AMQP_URI"], size=3, timeout=10)
    results = list(eventlet.GreenPool(12).imap(lambda _: pool.call("slow", "nap", 0.1), range(12)))
    assert results == ["awake"] * 12
    assert pool._created <= 3
    pool.close()
