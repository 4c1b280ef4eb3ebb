"""Every RPC call from the gateway has a timeout, and a missing or stuck service is a clear 503."""
import time

import eventlet
import pytest
from gateway.rpc import RpcPool
from nameko.rpc import rpc

from common.errors import NotFound, ServiceUnavailable

pytestmark = pytest.mark.broker


class SlowService:
    name = "slow"

    @rpc
    def nap(self, seconds, note=None):
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


RECORDED: list[str] = []


class RecordingService:
    name = "recorder"

    @rpc
    def record(self, label):
        RECORDED.append(label)
        return label


def test_a_request_the_caller_gave_up_on_is_dropped_not_run_later(container_factory, service_config):
    RECORDED.clear()
    first = container_factory(RecordingService, service_config)
    first.start()
    first.stop()  # the service is down; its durable request queue stays and accepts requests
    pool = RpcPool(service_config["AMQP_URI"], size=1, timeout=1)
    with pytest.raises(ServiceUnavailable):
        pool.call("recorder", "record", "stale")

    eventlet.sleep(0.5)  # past the caller's timeout, as when a service takes a while to come back
    container_factory(RecordingService, service_config).start()
    assert pool.call("recorder", "record", "fresh", timeout=5) == "fresh"
    eventlet.sleep(1)
    assert RECORDED == ["fresh"], "the request the caller had given up on was executed"
    pool.close()


def test_the_gateway_never_logs_rpc_arguments(container_factory, service_config, caplog):
    container_factory(SlowService, service_config).start()
    secret = "123-45-6789 hunter2-password"
    pool = RpcPool(service_config["AMQP_URI"], size=1, timeout=1)
    caplog.set_level("DEBUG")
    with pytest.raises(ServiceUnavailable):
        pool.call("slow", "nap", 5, secret)          # times out
    with pytest.raises(ServiceUnavailable):
        pool.call("nobody", "anything", secret)     # unknown service
    assert pool.call("slow", "nap", 0, note=secret) == "awake"
    pool.close()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "slow.nap" in logged and "nobody.anything" in logged
    assert secret not in logged and "hunter2" not in logged
