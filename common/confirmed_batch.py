"""Publish many messages and wait once for the broker's confirms (issue 12).

nameko's Publisher (and kombu with `confirm_publish`) waits for the broker's ack after every
message: one network round trip per event, which capped the outbox relay at a few hundred
events a second. Here the channel is put in confirm mode, a whole batch is published, and then
the acks are collected together (RabbitMQ may ack many at once with `multiple`). The guarantee
is the same: a message counts as delivered only once the broker has confirmed it; anything not
confirmed (nacked, or the connection lost before its ack) is reported as not sent, so the
outbox keeps it pending and publishes it again later.

Unroutable messages (published `mandatory`, bound to no queue) come back as basic.return before
their ack; they are told apart by the `message_id` each message carries.

Every wait on the broker is bounded by the same timeout: opening the channel, confirm mode, the
writes and the confirms. A broker that stops answering (frozen, or a half-open connection after a
partition, where no reset ever arrives) would otherwise hold the relay forever on a pooled
connection. A connection that did not answer in time is dropped, never reused.
"""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass

from amqp import Message
from kombu import Connection
from kombu.exceptions import OperationalError
from kombu.pools import connections

CONFIRM_TIMEOUT_SECONDS = 30.0
WRITE_BUFFER_BYTES = 256 * 1024


class ConfirmsOverdue(OSError):
    """The broker did not confirm every message in time: the connection is not to be trusted."""


@dataclass(frozen=True)
class Outgoing:
    key: str                 # the caller's id for the message (the outbox row id)
    exchange: str
    routing_key: str
    payload: dict | str      # JSON text, or a dict to encode


def _body(payload) -> bytes:
    return (payload if isinstance(payload, str) else json.dumps(payload)).encode()


def publish_confirmed(amqp_uri: str, messages: list[Outgoing], ssl=None,
                      timeout: float | None = None) -> dict[str, str]:
    """Publish `messages` persistently and return the outcome of every confirmed one. A broker
    failure part-way returns what was confirmed before it (the rest is simply not confirmed); a
    failure before anything was confirmed is raised, so the caller backs off as for any outage.
    `timeout` (CONFIRM_TIMEOUT_SECONDS by default) bounds every wait on the broker."""
    outcomes: dict[str, str] = {}
    if not messages:
        return outcomes
    timeout = CONFIRM_TIMEOUT_SECONDS if timeout is None else timeout
    pool = connections[Connection(amqp_uri, ssl=ssl)]
    with pool.acquire(block=True, timeout=timeout) as connection:
        try:
            _publish_on(connection, messages, outcomes, timeout)
        except (OSError, OperationalError, *connection.connection_errors, *connection.channel_errors):
            # the connection is in an unknown state: drop it, keep what was confirmed
            connection.collect()
            if not outcomes:
                raise
    return outcomes


def _publish_on(connection, messages: list[Outgoing], outcomes: dict[str, str], timeout: float) -> None:
    connection.ensure_connection(max_retries=1)
    _bound_waits(connection.connection, timeout)
    channel = connection.channel()
    tags: dict[int, str] = {}
    returned: set[str] = set()
    settled: set[int] = set()

    def settle(delivery_tag: int, multiple: bool, ok: bool) -> None:
        for tag in ([t for t in tags if t <= delivery_tag and t not in settled] if multiple else [delivery_tag]):
            settled.add(tag)
            key = tags.get(tag)
            if ok and key is not None:
                outcomes[key] = "unrouted" if key in returned else "delivered"

    def on_return(exc, exchange, routing_key, message) -> None:
        returned.add(message.properties.get("message_id"))

    try:
        channel.events["basic_ack"].add(lambda tag, multiple: settle(tag, multiple, True))
        channel.events["basic_nack"].add(lambda tag, multiple: settle(tag, multiple, False))
        channel.events["basic_return"].add(on_return)
        channel.confirm_select()
        with _coalesced_writes(connection.connection):
            for tag, outgoing in enumerate(messages, start=1):
                tags[tag] = outgoing.key
                channel.basic_publish(
                    Message(_body(outgoing.payload), content_type="application/json", content_encoding="utf-8",
                            delivery_mode=2, message_id=outgoing.key, application_headers={}),
                    exchange=outgoing.exchange, routing_key=outgoing.routing_key, mandatory=True)
        deadline = time.monotonic() + timeout
        while len(settled) < len(tags):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break  # the unconfirmed rest stays pending
            try:
                connection.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:
                continue
        if len(settled) < len(tags):
            # what was confirmed counts; the rest stays pending, and the connection is dropped
            raise ConfirmsOverdue(f"{len(tags) - len(settled)} of {len(tags)} messages not confirmed in {timeout} s")
    finally:
        try:
            channel.close()
        except Exception:  # noqa: BLE001 - a broken channel is dropped with its connection
            pass


def _bound_waits(amqp_connection, timeout: float) -> None:
    """Give the connection's socket a timeout, so no read or write on it waits longer. py-amqp
    bounds waits with SO_RCVTIMEO/SO_SNDTIMEO, which eventlet's green sockets ignore; a socket
    timeout holds for both (py-amqp's own `drain_events(timeout=...)` sets and then restores it)."""
    sock = getattr(getattr(amqp_connection, "transport", None), "sock", None)
    if sock is not None:
        sock.settimeout(timeout)


@contextmanager
def _coalesced_writes(amqp_connection):
    """Gather the frames of many messages into few socket writes: py-amqp sends each message with
    its own write (a system call each, about a third of the relay's time). Frames are copied, as
    py-amqp reuses its frame buffer; whatever is gathered is written before the confirms are
    awaited. A transport without the hook is left as it is."""
    transport = getattr(amqp_connection, "transport", None)
    real = getattr(transport, "_write", None)
    if real is None:
        yield
        return
    own = "_write" in vars(transport)  # plain TCP sets it per socket; TLS has it on the class
    pending = bytearray()

    def flush() -> None:
        if pending:
            data = bytes(pending)
            pending.clear()
            real(data)

    def write(data) -> None:
        pending.extend(data)
        if len(pending) >= WRITE_BUFFER_BYTES:
            flush()

    transport._write = write
    try:
        yield
    finally:
        if own:
            transport._write = real
        else:
            del transport._write
    flush()
