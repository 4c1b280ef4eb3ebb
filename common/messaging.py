"""Event handlers that never lose an event.

Plain nameko acknowledges a message even when its handler raises, so the event is gone. Here a
failed delivery is republished to the handler's `.retry` queue with a growing delay (it
dead-letters back to the handler's queue when the delay expires) and, after
`EVENT_MAX_ATTEMPTS` attempts, parked in the `.parked` queue for an operator
(`python -m hubstack.deadletters`). The original is acknowledged only after the copy is
confirmed by the broker; if that fails the original is requeued. Nothing loops forever.

Use `@event_handler("accounts", "person_registered")` on a method named
`handle_person_registered`; the queue must be listed in common.topology.
"""
from __future__ import annotations

import logging
import traceback

from nameko.amqp.publish import Publisher
from nameko.events import EventHandler

from common import config as hub_config
from common.topology import Subscription

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-hub-attempts"
ERROR_HEADER = "x-hub-last-error"
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_DELAY_MS = 1000


class ReliableEventHandler(EventHandler):

    def setup(self):
        super().setup()
        self.subscription = Subscription(self.container.service_name, self.source_service,
                                         self.event_type)
        if self.method_name != self.subscription.method:
            raise ValueError(f"{self.method_name} must be named {self.subscription.method}")
        config = self.container.config
        self.max_attempts = int(config.get("EVENT_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
        self.retry_delay_ms = int(config.get("EVENT_RETRY_DELAY_MS", DEFAULT_RETRY_DELAY_MS))
        self.publisher = Publisher(hub_config.amqp_uri(config), use_confirms=True,
                                   ssl=hub_config.amqp_ssl(config))

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        try:
            self._retry_or_park(message, exc_info)
        except Exception:
            log.exception("could not hand a failed event to retry; returning it to the queue")
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _retry_or_park(self, message, exc_info):
        headers = dict(message.headers or {})
        attempts = int(headers.get(ATTEMPTS_HEADER, 0)) + 1
        headers[ATTEMPTS_HEADER] = attempts
        headers[ERROR_HEADER] = "".join(traceback.format_exception_only(*exc_info[:2]))[-1000:]
        publish_raw = dict(
            exchange="",
            headers=headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            serializer=None,
        )
        if attempts < self.max_attempts:
            delay = self.retry_delay_ms * 2 ** (attempts - 1)
            log.warning("%s failed (attempt %d of %d); retrying in %d ms",
                        self.subscription.queue_name, attempts, self.max_attempts, delay)
            self.publisher.publish(message.body, routing_key=self.subscription.retry_queue_name,
                                   expiration=delay / 1000, **publish_raw)
        else:
            log.error("%s failed %d times; parked in %s", self.subscription.queue_name,
                      attempts, self.subscription.parked_queue_name)
            self.publisher.publish(message.body, routing_key=self.subscription.parked_queue_name,
                                   **publish_raw)


event_handler = ReliableEventHandler.decorator
