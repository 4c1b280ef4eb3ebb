"""A pool of nameko standalone RPC proxies, reused across requests.

A ClusterRpcProxy holds one AMQP connection and a reply queue, and is not thread-safe, so each
request thread borrows one for the length of a call. A proxy that timed out or lost its
connection is thrown away rather than returned, so a late reply cannot confuse the next caller.

Every request carries an AMQP expiration equal to the caller's timeout: a request still queued
when the caller has given up (its service was down or busy) is dropped by RabbitMQ, never run
late. nameko 2.14's ClusterRpcProxy cannot pass publish options (ClusterProxy builds its
ServiceProxy without them), so each pooled proxy is wrapped in ExpiringProxy, which builds the
ServiceProxy itself with `expiration`.

A broker that stops answering without closing anything (frozen, partitioned, or blocking
publishers on a memory alarm) would leave nameko's publish confirm and connection close waiting
with no timeout. So each call runs in a guard thread and the caller waits at most its timeout
plus GUARD_SECONDS: it gets an answer or "did not answer in time", never a hang; the stuck call
ends (and its proxy is thrown away) whenever the broker answers again
(tests/integration/test_broker_faults.py).

Arguments are never logged here: they carry SSNs, passwords and tokens.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as GuardTimeout
from contextlib import contextmanager

from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterRpcProxy

from common import config as hub_config
from common import logs
from common.errors import HubError, ServiceUnavailable
from common.metrics import RPC_CLIENT_SECONDS

log = logging.getLogger(__name__)

GUARD_SECONDS = 1.0     # beyond the call's own timeout, before the caller stops waiting
GUARD_THREADS = 64      # calls in flight at once, stuck ones included


class GatewayRpcProxy(ClusterRpcProxy):
    """Reply queues named `rpc.reply-gateway-<uuid>`, which the gateway's broker user may use
    (hubstack.broker_users), rather than nameko's shared `standalone_rpc_proxy` prefix."""

    class ServiceContainer(ClusterRpcProxy.ServiceContainer):
        service_name = "gateway"


class ExpiringProxy:
    """`proxy.<service>.<method>(...)` like nameko's ClusterProxy, with every request expiring
    after `expiration` seconds."""

    def __init__(self, cluster_proxy, expiration: float):
        self._cluster_proxy = cluster_proxy
        self._expiration = expiration

    def with_correlation_id(self, correlation_id: str | None) -> ExpiringProxy:
        # the proxy is borrowed by one caller at a time, so its context data is this call's
        data = self._cluster_proxy._worker_ctx.data
        if correlation_id:
            data[logs.CONTEXT_KEY] = correlation_id
        else:
            data.pop(logs.CONTEXT_KEY, None)
        return self

    def __getattr__(self, service: str) -> ServiceProxy:
        return ServiceProxy(self._cluster_proxy._worker_ctx, service, self._cluster_proxy._reply_listener,
                            expiration=self._expiration)


class RpcPool:
    def __init__(self, amqp_uri: str, size: int = 8, timeout: float = 10.0):
        self.config = hub_config.nameko_config({"AMQP_URI": amqp_uri})  # + AMQP_SSL for amqps://
        self.size = size
        self.timeout = timeout
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._created = 0
        self._lock = threading.Lock()
        self._guards = ThreadPoolExecutor(max_workers=GUARD_THREADS, thread_name_prefix="rpc-guard")

    def _new(self, timeout: float):
        runner = GatewayRpcProxy(self.config, timeout=timeout)
        return runner, ExpiringProxy(runner.start(), expiration=timeout)

    @contextmanager
    def _borrow(self, timeout: float):
        entry = None
        if timeout == self.timeout:
            try:
                entry = self._idle.get_nowait()
            except queue.Empty:
                with self._lock:
                    can_create = self._created < self.size
                    if can_create:
                        self._created += 1
                if can_create:
                    try:
                        entry = self._new(timeout)
                    except Exception:
                        with self._lock:
                            self._created -= 1
                        raise
                else:
                    try:
                        entry = self._idle.get(timeout=timeout)
                    except queue.Empty:
                        raise ServiceUnavailable("The Hub is busy. Please try again.") from None
            pooled = True
        else:
            # an unusual timeout (health checks) gets a proxy of its own
            entry, pooled = self._new(timeout), False
        healthy = False
        try:
            yield entry[1].with_correlation_id(logs.current())  # the caller's request (common.logs)
            healthy = True
        except HubError:
            healthy = True  # the service answered; the connection is fine
            raise
        finally:
            if pooled and healthy:
                self._idle.put(entry)
            else:
                self._discard(entry, pooled)

    def _discard(self, entry, pooled: bool):
        try:
            entry[0].stop()
        except Exception:  # already broken
            pass
        if pooled:
            with self._lock:
                self._created -= 1

    def call(self, service: str, method: str, *args, timeout: float | None = None, **kwargs):
        timeout = timeout or self.timeout
        correlation_id = logs.current()

        def guarded():
            token = logs.bind(correlation_id)  # the guard thread speaks for the caller's request
            try:
                return self._call(service, method, args, kwargs, timeout)
            finally:
                logs.unbind(token)

        try:
            return self._guards.submit(guarded).result(timeout=timeout + GUARD_SECONDS)
        except GuardTimeout:
            log.warning("RPC %s.%s got no answer from the broker within %ss", service, method, timeout)
            raise ServiceUnavailable(f"The {service} service did not answer in time. "
                                     "Please try again in a moment.") from None

    def _call(self, service: str, method: str, args, kwargs, timeout: float):
        started, outcome = time.perf_counter(), "error"
        try:
            with self._borrow(timeout) as proxy:
                answer = getattr(getattr(proxy, service), method)(*args, **kwargs)
            outcome = "ok"
            return answer
        except ServiceUnavailable:  # the pool was busy
            raise
        except HubError:
            outcome = "refused"  # the service answered with an expected error
            raise
        except RpcTimeout:
            log.warning("RPC %s.%s timed out after %ss", service, method, timeout)
            raise ServiceUnavailable(f"The {service} service did not answer in time. "
                                     "Please try again in a moment.") from None
        except (OperationalError, OSError, UnknownService) as exc:
            log.warning("RPC %s.%s failed: %s", service, method, exc)
            raise ServiceUnavailable("The Hub cannot reach one of its services right now. "
                                     "Please try again in a moment.") from None
        finally:
            RPC_CLIENT_SECONDS.labels(service, method, outcome).observe(time.perf_counter() - started)

    def close(self):
        self._guards.shutdown(wait=False)
        while True:
            try:
                entry = self._idle.get_nowait()
            except queue.Empty:
                return
            self._discard(entry, True)
