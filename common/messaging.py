"""Event handlers that never lose an event.

Plain nameko acknowledges a message even when its handler raises, so the event is gone. Here a
failed delivery is republished to the handler's `.retry` queue with a growing delay (it
dead-letters back to the handler's queue when the delay expires) and, after
`EVENT_MAX_ATTEMPTS` attempts, parked in the `.parked` queue for an operator
(`python -m hubstack.deadletters`). The original is acknowledged only after the copy is
confirmed by the broker; if that fails the original is requeued. Nothing loops forever.

A connection lost while handlers run (tests/integration/test_broker_faults.py) costs nothing: the
broker takes the unacknowledged deliveries back and delivers them again, and `first_delivery`
absorbs the repeats. Two nameko 2.14 flaws stood in the way, fixed by `SettlingQueueConsumer`:
- a worker acknowledging on a connection that had just been reset raised an OSError out of the
  worker, which killed the whole service container;
- that failed write marks the connection closed, and kombu's `drain_events` then quietly opens a
  fresh connection with no channel and no consumers: the service stayed up, consumed nothing
  and logged nothing, while its queue filled.

Use `@event_handler("accounts", "person_registered")` on a method named
`handle_person_registered`; the queue must be listed in common.topology. Services' RPC methods use
this module's `@rpc` (nameko's, on the same SettlingQueueConsumer), not nameko.rpc's.
"""
from __future__ import annotations

import logging
import traceback

from amqp.exceptions import ConnectionError as AmqpConnectionError
from amqp.exceptions import RecoverableConnectionError
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler
from nameko.messaging import QueueConsumer
from nameko.rpc import Rpc, RpcConsumer

from common import config as hub_config
from common.metrics import EVENTS_PARKED, EVENTS_RETRIED
from common.topology import Subscription

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-hub-attempts"
ERROR_HEADER = "x-hub-last-error"
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_DELAY_MS = 1000


class SettlingQueueConsumer(QueueConsumer):
    """nameko's QueueConsumer, safe against the connection dropping while workers run."""

    def ack_message(self, message):
        self._settle(super().ack_message, message)

    def requeue_message(self, message):
        self._settle(super().requeue_message, message)

    def _settle(self, settle, message) -> None:
        try:
            settle(message)
        except (OSError, AmqpConnectionError) as exc:
            # the broker has taken the delivery back with its connection and will redeliver it
            log.warning("a delivery from %s could not be settled on a lost connection (%s); it will be "
                        "delivered again", message.delivery_info.get("routing_key"), exc)

    def on_iteration(self):
        """Called by kombu's consume loop before each wait for messages: if the connection our
        consumers are on is gone, restart the loop (a new connection, consumers declared again)
        instead of letting `drain_events` reconnect silently without them."""
        super().on_iteration()
        for consumer in self._consumers.values():
            connection = getattr(consumer.channel, "connection", None)
            if connection is None or not connection.connected:
                raise RecoverableConnectionError("the consumers' connection was lost")


class ReliableEventHandler(EventHandler):

    queue_consumer = SettlingQueueConsumer()

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
            EVENTS_RETRIED.labels(self.container.service_name, self.method_name).inc()
        else:
            log.error("%s failed %d times; parked in %s", self.subscription.queue_name,
                      attempts, self.subscription.parked_queue_name)
            self.publisher.publish(message.body, routing_key=self.subscription.parked_queue_name,
                                   **publish_raw)
            EVENTS_PARKED.labels(self.container.service_name, self.method_name).inc()


event_handler = ReliableEventHandler.decorator


class SettlingRpcConsumer(RpcConsumer):
    queue_consumer = SettlingQueueConsumer()


class ReliableRpc(Rpc):
    """nameko's Rpc entrypoint on the SettlingQueueConsumer: a call whose reply went out while
    the connection dropped does not kill the consumer (the broker redelivers the call; the
    caller, who got its answer or times out, ignores a second reply)."""

    rpc_consumer = SettlingRpcConsumer()


rpc = ReliableRpc.decorator
