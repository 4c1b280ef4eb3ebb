"""Publishing events through the outbox.

`self.publish(event)` in a service adds the event to the outbox table of the worker's own
session; it reaches RabbitMQ only if the worker commits. A relay thread in every service then
publishes pending rows with publisher confirms and marks them sent. If the process dies between
commit and publish, the row is still pending when it restarts, so nothing is lost; if it dies
between publish and marking, the event goes out twice, which idempotent consumers absorb.

A relayed row keeps no live secret: fields an event declares in `secret_fields` (single-use
links) are overwritten with REDACTED in the transaction that marks the row sent. Relayed rows
are deleted after HUB_OUTBOX_RETENTION_DAYS (7; 0 keeps them), by the relay loop once an hour.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from nameko.amqp.publish import Publisher, UndeliverableMessage

from common import config as hub_config
from common.background import PollingLoop
from common.db import Database
from common.dependencies import sibling
from common.events import Event, event_class
from common.topology import SUBSCRIPTIONS, declare_topology, event_exchange

log = logging.getLogger(__name__)

RELAY_BATCH = 200
REDACTED = "[redacted: relayed]"
PRUNE_EVERY_SECONDS = 3600
PRUNE_BATCH = 1000
SUBSCRIBED = {(sub.source, sub.event_type) for sub in SUBSCRIPTIONS}


def outbox_row(base, event: Event):
    return base.OutboxMessage(
        event_id=event.event_id,
        exchange_source=event.source,
        event_type=event.event_type,
        payload=event.model_dump_json(),
        created_at=datetime.now(UTC),
        attempts=0,
    )


def redacted_payload(source: str, event_type: str, payload: str) -> str | None:
    """The payload with its secret fields overwritten, or None if it holds no secret."""
    cls = event_class(source, event_type)
    if cls is None or not cls.secret_fields:
        return None
    data = json.loads(payload)
    for field in cls.secret_fields:
        if field in data:
            data[field] = REDACTED
    return json.dumps(data)


def retention_days(config: dict | None = None) -> int:
    return int(hub_config.setting("HUB_OUTBOX_RETENTION_DAYS", "7", config))


def prune_relayed(session_factory, retention_days: int) -> int:
    """Delete rows relayed more than `retention_days` ago (0 keeps them); pending rows stay
    whatever their age. Logs only how many went."""
    if retention_days <= 0:
        return 0
    outbox = session_factory.kw["info"]["base"].OutboxMessage
    cutoff = datetime.now(UTC) - timedelta(days=retention_days)
    pruned = 0
    while True:
        with session_factory() as session:
            # in batches, so a first prune of a long history does not hold one huge transaction
            batch = sa.select(outbox.id).where(outbox.sent_at.is_not(None), outbox.sent_at < cutoff) \
                .limit(PRUNE_BATCH).scalar_subquery()
            deleted = session.execute(sa.delete(outbox).where(outbox.id.in_(batch))).rowcount
            session.commit()
        pruned += deleted
        if deleted < PRUNE_BATCH:
            break
    if pruned:
        log.info("pruned %d relayed outbox rows older than %d days", pruned, retention_days)
    return pruned


def relay_pending(session_factory, amqp_uri: str, config: dict | None = None) -> int:
    """Publish pending outbox rows; returns how many were sent. Safe to run in many replicas."""
    base = session_factory.kw["info"]["base"]
    outbox = base.OutboxMessage
    # TLS options for amqps:// (HUB_AMQP_CA_FILE ...): without them kombu verifies against the
    # system roots only, and a private broker CA is refused.
    publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True,
                          ssl=hub_config.amqp_ssl({**(config or {}), "AMQP_URI": amqp_uri}))
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
        outcomes: list[tuple[int, int, str, str | None]] = []
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
                outcomes.append((row.id, row.attempts, outcome,
                                 redacted_payload(row.exchange_source, row.event_type, row.payload)))
        finally:
            # Mark what did go out, even if the broker failed part-way. The writes come after
            # all the publishing: under eventlet a SQLite write transaction left open across a
            # network wait would block every other writer in the process.
            sent_at = datetime.now(UTC)
            for row_id, attempts, outcome, redacted in outcomes:
                values = {"sent_at": sent_at, "outcome": outcome, "attempts": attempts + 1}
                if redacted is not None:
                    values["payload"] = redacted  # the subscriber has the secret now; we keep none
                session.execute(sa.update(outbox).where(outbox.id == row_id).values(**values))
            session.commit()
            sent = len(outcomes)
    return sent


class EventPublisher(PollingLoop):
    """`self.publish(event)` — add an event to this worker's transaction (see module doc)."""

    def setup(self):
        super().setup()
        self.database = sibling(self.container, Database)
        self.amqp_uri = hub_config.amqp_uri(self.container.config)
        self.retention_days = retention_days(self.container.config)
        self._next_prune = float("-inf")

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
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
            prune_relayed(self.database.session_factory, self.retention_days)
        return sent == RELAY_BATCH
