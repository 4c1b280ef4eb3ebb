"""Gateway → service RPC round trips through the pooled proxies (the cost every page pays)."""
import statistics
import time

import eventlet
from gateway.rpc import RpcPool
from nameko.containers import ServiceContainer
from nameko.rpc import rpc

from common import config as hub_config

CALLS = 500
CONCURRENCY = 8


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value


def run() -> None:
    amqp_uri = hub_config.amqp_uri()
    container = ServiceContainer(EchoService, {"AMQP_URI": amqp_uri, "max_workers": 16})
    container.start()
    pool = RpcPool(amqp_uri, size=CONCURRENCY, timeout=10)
    try:
        pool.call("bench_echo", "echo", 0)  # warm the pool

        def timed(i):
            started = time.perf_counter()
            pool.call("bench_echo", "echo", i)
            return time.perf_counter() - started

        started = time.perf_counter()
        latencies = sorted(eventlet.GreenPool(CONCURRENCY).imap(timed, range(CALLS)))
        elapsed = time.perf_counter() - started
        print(f"{CALLS} calls, {CONCURRENCY} at a time: {CALLS / elapsed:.0f} calls/s, "
              f"p50 {statistics.median(latencies) * 1000:.1f} ms, "
              f"p95 {latencies[int(CALLS * 0.95)] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    finally:
        pool.close()
        container.stop()
