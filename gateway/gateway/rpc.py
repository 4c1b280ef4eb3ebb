"""A pool of nameko standalone RPC proxies, reused across requests.

A ClusterRpcProxy holds one AMQP connection and a reply queue, and is not thread-safe, so each
request thread borrows one for the length of a call. A proxy that timed out or lost its
connection is thrown away rather than returned, so a late reply cannot confuse the next caller.
"""
from __future__ import annotations

import logging
import queue
import threading
from contextlib import contextmanager

from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from common.errors import HubError, ServiceUnavailable

log = logging.getLogger(__name__)


class RpcPool:
    def __init__(self, amqp_uri: str, size: int = 8, timeout: float = 10.0):
        self.config = {"AMQP_URI": amqp_uri}
        self.size = size
        self.timeout = timeout
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._created = 0
        self._lock = threading.Lock()

    def _new(self, timeout: float):
        runner = ClusterRpcProxy(self.config, timeout=timeout)
        return runner, runner.start()

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
