"""Publishing events through the outbox.

`self.publish(event)` in a service adds the event to the outbox table of the worker's own
session; it reaches RabbitMQ only if the worker commits. A relay thread in every service then
publishes pending rows with publisher confirms and marks them sent. If the process dies between
commit and publish, the row is still pending when it restarts, so nothing is lost; if it dies
between publish and marking, the event goes out twice, which idempotent consumers absorb.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import sqlalchemy as sa
from nameko.amqp.publish import Publisher, UndeliverableMessage

from common import config as hub_config
from common.background import PollingLoop
from common.db import Database
from common.events import Event
from common.topology import SUBSCRIPTIONS, declare_topology, event_exchange

log = logging.getLogger(__name__)

RELAY_BATCH = 200
SUBSCRIBED = {(sub.source, sub.event_type) for sub in SUBSCRIPTIONS}


def outbox_row(base, event: Event):
    return base.OutboxMessage(
        event_id=event.event_id,
        exchange_source=event.source,
        event_type=event.event_type,
        payload=event.model_dump_json(),
        created_at=datetime.now(timezone.utc),
        attempts=0,
    )


def relay_pending(session_factory, amqp_uri: str, config: dict | None = None) -> int:
    """Publish pending outbox rows; returns how many were sent. Safe to run in many replicas."""
    base = session_factory.kw["info"]["base"]
    outbox = base.OutboxMessage
    publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True)
    with session_factory() as session:
        query = sa.select(outbox).where(outbox.sent_at.is_(None)).order_by(outbox.id).limit(RELAY_BATCH)
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            # replicas relay disjoint rows; the locks are held until the commit below
            query = query.with_for_update(skip_locked=True)
        rows = session.scalars(query).all()
        if not rows:
            return 0
        if not postgres:
            # End SQLite's read snapshot before the slow part: WAL refuses to upgrade a snapshot
            # to a write if another connection committed meanwhile.
            session.commit()
        outcomes: list[tuple[int, int, str]] = []
        try:
            for row in rows:
                try:
                    publisher.publish(
                        json.loads(row.payload),
                        exchange=event_exchange(row.exchange_source, config),
                        routing_key=row.event_type,
                    )
                    outcome = "delivered"
                except UndeliverableMessage:
                    # Confirmed by the broker but bound to no queue. Expected for a fact nobody
                    # subscribes to yet; a lost event if the topology says someone should.
                    expected = (row.exchange_source, row.event_type) in SUBSCRIBED
                    (log.error if expected else log.debug)(
                        "event %s.%s %s reached no queue", row.exchange_source, row.event_type,
                        row.event_id)
                    outcome = "unrouted"
                outcomes.append((row.id, row.attempts, outcome))
        finally:
            # Mark what did go out, even if the broker failed part-way. The writes come after
            # all the publishing: under eventlet a SQLite write transaction left open across a
            # network wait would block every other writer in the process.
            sent_at = datetime.now(timezone.utc)
            for row_id, attempts, outcome in outcomes:
                session.execute(sa.update(outbox).where(outbox.id == row_id).values(
                    sent_at=sent_at, outcome=outcome, attempts=attempts + 1))
            session.commit()
            sent = len(outcomes)
    return sent


class EventPublisher(PollingLoop):
    """`self.publish(event)` — add an event to this worker's transaction (see module doc)."""

    def setup(self):
        super().setup()
        self.database = next(dep for dep in self.container.dependencies if isinstance(dep, Database))
        self.amqp_uri = hub_config.amqp_uri(self.container.config)

    def start(self):
        declare_topology(self.amqp_uri, self.container.config)
        super().start()

    def get_dependency(self, worker_ctx):
        session = self.database.session_for(worker_ctx)

        def publish(event: Event) -> None:
            session.add(outbox_row(self.database.base, event))

        return publish

    def run_once(self) -> bool:
        sent = relay_pending(self.database.session_factory, self.amqp_uri, self.container.config)
        return sent == RELAY_BATCH
