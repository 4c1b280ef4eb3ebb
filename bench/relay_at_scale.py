"""The outbox relay at scale (issue 12): 20,000 pending outbox rows in a scratch copy of the
generated accounts database (PostgreSQL), relayed to RabbitMQ by common.publisher.relay_pending
(batches with one confirm wait each, rows marked sent in the same transaction that locked them).
Baseline, in the same run: plain kombu Producer.publish with publisher confirms
(confirm_publish=True) of the same payloads to the same exchange. Both go to a private durable
queue on a private exchange, so no service sees them; the queue is counted, then deleted."""
from __future__ import annotations

import time
import uuid

import sqlalchemy as sa
from kombu import Connection, Exchange, Producer, Queue

from bench.scratch import default_context, median, scratch_copy
from bench.table import Figure, render

EVENTS = 20_000
QUICK_EVENTS = 5_000
ROUNDS = 2


def fill_outbox(sessions, source: str, events: int) -> list[str]:
    """`events` pending rows for exchange `source`; returns their payloads in id order."""
    from accounts.models import Base

    from common.events.accounts import PersonRegistered
    from common.publisher import outbox_row

    rows = []
    for i in range(events):
        row = outbox_row(Base, PersonRegistered(person_id=uuid.uuid4(), il_number=f"{i:010d}", first_name="Bench",
                                                last_name="Relay"))
        row.exchange_source = source
        rows.append(row)
    with sessions() as session:
        session.add_all(rows)
        session.commit()
    return [row.payload for row in rows]


def relay_all(sessions, amqp_uri: str) -> tuple[int, float]:
    from common.publisher import relay_pending

    started = time.perf_counter()
    sent = 0
    while (batch := relay_pending(sessions, amqp_uri)):
        sent += batch
    return sent, time.perf_counter() - started


def publish_raw(amqp_uri: str, exchange: Exchange, payloads: list[str]) -> float:
    """The baseline: kombu with confirm_publish (each publish waits for its ack)."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = Producer(connection.channel(), exchange=exchange)
        started = time.perf_counter()
        for payload in payloads:
            producer.publish(payload, routing_key="person_registered", content_type="application/json",
                             content_encoding="utf-8", delivery_mode=2, mandatory=True)
        return time.perf_counter() - started


def check_relayed(sessions, amqp_uri: str, queue: str, expected: int) -> None:
    """Every row marked sent once, and the queue holding exactly the relayed messages."""
    from accounts.models import Base

    outbox = Base.OutboxMessage
    with sessions() as session:
        pending = session.scalar(sa.select(sa.func.count()).select_from(outbox).where(outbox.sent_at.is_(None)))
        twice = session.scalar(sa.select(sa.func.count()).select_from(outbox).where(outbox.attempts != 1))
    assert pending == 0 and twice == 0, (pending, twice)
    with Connection(amqp_uri) as connection:
        _, messages, _ = connection.channel().queue_declare(queue, passive=True)
    assert messages == expected, (messages, expected)


def measure(context: dict) -> dict:
    from accounts.models import Base

    from common import config as hub_config
    from common.db import create_engine_for, make_session_factory
    from common.topology import event_exchange

    manifest, quick = context["manifest"], context.get("quick", False)
    events = QUICK_EVENTS if quick else EVENTS
    amqp_uri = hub_config.amqp_uri()
    source = f"bench-relay-{uuid.uuid4().hex[:6]}"
    exchange = event_exchange(source)  # where the relay sends `source`'s rows
    queue_name = f"{source}-tap"
    out: dict = {"relay": [], "raw": []}
    with scratch_copy(manifest["databases"]["accounts"], "relay") as url, Connection(amqp_uri) as connection:
        channel = connection.channel()
        exchange(channel).declare()
        queue = Queue(queue_name, exchange=exchange, routing_key="#", durable=True)
        queue(channel).declare()
        engine = create_engine_for(url)
        sessions = make_session_factory(engine, Base)
        try:
            for _ in range(1 if quick else ROUNDS):
                with sessions() as session:
                    session.execute(sa.delete(Base.OutboxMessage))
                    session.commit()
                payloads = fill_outbox(sessions, source, events)
                channel.queue_purge(queue_name)
                out["raw"].append(publish_raw(amqp_uri, exchange, payloads))
                channel.queue_purge(queue_name)
                sent, seconds = relay_all(sessions, amqp_uri)
                assert sent == events, (sent, events)
                check_relayed(sessions, amqp_uri, queue_name, events)
                out["relay"].append(seconds)
        finally:
            channel.queue_delete(queue_name)
            channel.exchange_delete(exchange.name)
            engine.dispose()
    out["events"] = events
    return out


def figures(context: dict) -> list[Figure]:
    out = measure(context)
    events = out["events"]
    rate, raw = events / median(out["relay"]), events / median(out["raw"])
    return [Figure(name=f"outbox relay, {events:,} pending rows published and marked sent (PostgreSQL)",
                   value=rate, unit="events/s", baseline=raw,
                   baseline_name="plain kombu publishing the same payloads with confirms",
                   goal="≥ 30 % of the raw rate", met=rate >= 0.3 * raw,
                   note=f"median of {len(out['relay'])} runs; relay {median(out['relay']):.2f} s, kombu "
                        f"{median(out['raw']):.2f} s; durable private queue, persistent messages",
                   extra=out)]


def run(quick: bool = False) -> None:
    print(render(figures(default_context(quick))))


if __name__ == "__main__":
    run()
