"""A pool of nameko standalone RPC proxies, reused across requests.

A ClusterRpcProxy holds one AMQP connection and a reply queue, and is not thread-safe, so each
request thread borrows one for the length of a call. A proxy that timed out or lost its
connection is thrown away rather than returned, so a late reply cannot confuse the next caller.

Every request carries an AMQP expiration equal to the caller's timeout: a request still queued
when the caller has given up (its service was down or busy) is dropped by RabbitMQ, never run
late. nameko 2.14's ClusterRpcProxy cannot pass publish options (ClusterProxy builds its
ServiceProxy without them), so each pooled proxy is wrapped in ExpiringProxy, which builds the
ServiceProxy itself with `expiration`.

Arguments are never logged here: they carry SSNs, passwords and tokens.
"""
from __future__ import annotations

import logging
import queue
import threading
from contextlib import contextmanager

from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterRpcProxy

from common import config as hub_config
from common.errors import HubError, ServiceUnavailable

log = logging.getLogger(__name__)


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
            yield entry[1]
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
        try:
            with self._borrow(timeout) as proxy:
                return getattr(getattr(proxy, service), method)(*args, **kwargs)
        except RpcTimeout:
            log.warning("RPC %s.%s timed out after %ss", service, method, timeout)
            raise ServiceUnavailable(f"The {service} service did not answer in time. "
                                     "Please try again in a moment.") from None
        except (OperationalError, OSError, UnknownService) as exc:
            log.warning("RPC %s.%s failed: %s", service, method, exc)
            raise ServiceUnavailable("The Hub cannot reach one of its services right now. "
                                     "Please try again in a moment.") from None

    def close(self):
        while True:
            try:
                entry = self._idle.get_nowait()
            except queue.Empty:
                return
            self._discard(entry, True)
