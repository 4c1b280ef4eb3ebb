"""How fast the outbox relay drains a backlog to RabbitMQ (publisher confirms on)."""
import tempfile
import time
import uuid
from pathlib import Path

from kombu import Connection, Queue

from common import config as hub_config
from common.db import create_engine_for, make_session_factory
from common.events.accounts import PersonRegistered
from common.migrations import upgrade_to_head
from common.publisher import outbox_row, relay_pending
from common.topology import declare_topology, event_exchange

EVENTS = 10000


def run() -> None:
    amqp_uri = hub_config.amqp_uri()
    declare_topology(amqp_uri)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'accounts.db'}"
        upgrade_to_head("accounts", url)
        from accounts.models import Base
        sessions = make_session_factory(create_engine_for(url), Base)
        with sessions() as session:
            for i in range(EVENTS):
                session.add(outbox_row(Base, PersonRegistered(
                    person_id=uuid.uuid4(), il_number=f"{i:010d}", first_name="B", last_name="Ench")))
            session.commit()
        tap_name = f"bench-tap-{uuid.uuid4().hex[:6]}"
        with Connection(amqp_uri) as connection:
            # a private queue so the benchmark's events reach no real consumer
            Queue(tap_name, exchange=event_exchange("bench"), routing_key="#", auto_delete=True)(
                connection.channel()).declare()
            with sessions() as session:  # route the rows to a benchmark exchange
                session.execute(Base.OutboxMessage.__table__.update().values(exchange_source="bench"))
                session.commit()
            event_exchange("bench")(connection.channel()).declare()
            started = time.perf_counter()
            sent = 0
            while (batch := relay_pending(sessions, amqp_uri)):
                sent += batch
            elapsed = time.perf_counter() - started
            connection.channel().queue_delete(tap_name)
    print(f"relayed {sent} events in {elapsed:.2f} s: {sent / elapsed:.0f} events/s (SQLite, confirms on)")
