"""A service-side loop that does a unit of work now and then, or at once when woken.

The outbox relay and the mail sender both poll their own tables; a worker that just committed
wakes them so a user does not wait for the next tick.
"""
from __future__ import annotations

import logging

import eventlet
from eventlet.event import Event as GreenEvent
from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)


class PollingLoop(DependencyProvider):
    interval_seconds = 1.0

    def run_once(self) -> bool:
        """Do one batch; return True if there may be more to do straight away."""
        raise NotImplementedError

    def setup(self):
        self._wake = GreenEvent()
        self._stopping = False

    def start(self):
        self.container.spawn_managed_thread(self._loop, identifier=type(self).__name__)

    def stop(self):
        self._stopping = True
        self.wake()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.wake()

    def wake(self):
        if not self._wake.ready():
            self._wake.send(True)

    def _loop(self):
        while not self._stopping:
            try:
                while self.run_once() and not self._stopping:
                    eventlet.sleep(0)  # let request workers in between batches
            except Exception:  # a broker, database or mail server away: try again soon
                log.exception("%s failed; will retry", type(self).__name__)
            with eventlet.Timeout(self.interval_seconds, False):
                self._wake.wait()
            self._wake = GreenEvent()
