"""Publishing events through the outbox.

`self.publish(event)` in a service adds the event to the outbox table of the worker's own
session; it reaches RabbitMQ only if the worker commits. A relay thread in every service then
publishes pending rows a batch at a time with publisher confirms (one wait for the batch's acks,
common.confirmed_batch) and marks the confirmed ones sent. If the process dies between
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

from common import config as hub_config
from common import logs
from common.background import PollingLoop
from common.confirmed_batch import Outgoing, publish_confirmed
from common.db import Database
from common.dependencies import sibling
from common.events import Event, event_class
from common.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE
from common.topology import SUBSCRIPTIONS, declare_topology, event_exchange

log = logging.getLogger(__name__)

RELAY_BATCH = 1000  # rows per round: one confirm wait for all of them
MARK_CHUNK = 500    # ids per UPDATE … WHERE id IN (…): under every database's bound-parameter limit
REDACTED = "[redacted: relayed]"
PRUNE_EVERY_SECONDS = 3600
PRUNE_BATCH = 1000
BACKLOG_EVERY_SECONDS = 10  # the backlog gauges: about one scrape interval, not every relay tick
SUBSCRIBED = {(sub.source, sub.event_type) for sub in SUBSCRIPTIONS}


def outbox_row(base, event: Event):
    if event.correlation_id is None and logs.current():
        event = event.model_copy(update={"correlation_id": logs.current()})
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


def outbox_backlog(session_factory) -> tuple[int, float]:
    """(rows not yet relayed, age in seconds of the oldest of them; 0 when none)."""
    outbox = session_factory.kw["info"]["base"].OutboxMessage
    with session_factory() as session:
        count, oldest = session.execute(sa.select(sa.func.count(), sa.func.min(outbox.created_at))
                                        .where(outbox.sent_at.is_(None))).one()
    if oldest is None:
        return count, 0.0
    if oldest.tzinfo is None:  # SQLite hands back naive UTC
        oldest = oldest.replace(tzinfo=UTC)
    return count, max(0.0, (datetime.now(UTC) - oldest).total_seconds())


def relay_pending(session_factory, amqp_uri: str, config: dict | None = None) -> int:
    """Publish pending outbox rows; returns how many were sent. Safe to run in many replicas."""
    base = session_factory.kw["info"]["base"]
    outbox = base.OutboxMessage
    # TLS options for amqps:// (HUB_AMQP_CA_FILE ...): without them kombu verifies against the
    # system roots only, and a private broker CA is refused.
    ssl = hub_config.amqp_ssl({**(config or {}), "AMQP_URI": amqp_uri})
    with session_factory() as session:
        query = sa.select(outbox.id, outbox.event_id, outbox.exchange_source, outbox.event_type, outbox.payload) \
            .where(outbox.sent_at.is_(None)).order_by(outbox.id).limit(RELAY_BATCH)
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            # replicas relay disjoint rows; the locks are held until the commit below
            query = query.with_for_update(skip_locked=True)
        rows = session.execute(query).all()
        if not rows:
            return 0
        if not postgres:
            # End SQLite's read snapshot before the slow part: WAL refuses to upgrade a snapshot
            # to a write if another connection committed meanwhile.
            session.commit()
        by_id = {str(row.id): row for row in rows}
        # one round of confirms for the whole batch (common.confirmed_batch); a row the broker
        # did not confirm stays pending and goes out again on the next round
        outcomes = publish_confirmed(amqp_uri, [
            Outgoing(key=str(row.id), exchange=event_exchange(row.exchange_source, config).name,
                     routing_key=row.event_type, payload=row.payload) for row in rows], ssl=ssl)
        # The writes come after all the publishing: under eventlet a SQLite write transaction
        # left open across a network wait would block every other writer in the process.
        _mark_sent(session, outbox, [(by_id[key], outcome) for key, outcome in outcomes.items()])
        session.commit()
        if len(outcomes) < len(rows):
            log.warning("the broker confirmed %d of %d events; the rest stay pending", len(outcomes), len(rows))
    return len(outcomes)


def _mark_sent(session, outbox, confirmed: list[tuple]) -> None:
    """Mark exactly the confirmed rows sent: one UPDATE per outcome (issue 12: a statement per
    row took as long as the publishing), and the payload of a row holding a secret redacted."""
    sent_at = datetime.now(UTC)
    by_outcome: dict[str, list[int]] = {}
    redactions = []
    for row, outcome in confirmed:
        if outcome == "unrouted":
            # Confirmed by the broker but bound to no queue. Expected for a fact nobody
            # subscribes to yet; a lost event if the topology says someone should.
            expected = (row.exchange_source, row.event_type) in SUBSCRIBED
            (log.error if expected else log.debug)(
                "event %s.%s %s reached no queue", row.exchange_source, row.event_type, row.event_id)
        by_outcome.setdefault(outcome, []).append(row.id)
        redacted = redacted_payload(row.exchange_source, row.event_type, row.payload)
        if redacted is not None:
            redactions.append({"id": row.id, "payload": redacted})  # the subscriber has the secret now
    for outcome, ids in sorted(by_outcome.items()):
        for start in range(0, len(ids), MARK_CHUNK):
            session.execute(sa.update(outbox).where(outbox.id.in_(ids[start:start + MARK_CHUNK]))
                            .values(sent_at=sent_at, outcome=outcome, attempts=outbox.attempts + 1)
                            .execution_options(synchronize_session=False))
    if redactions:
        session.execute(sa.update(outbox), redactions)  # executemany by primary key


class EventPublisher(PollingLoop):
    """`self.publish(event)` — add an event to this worker's transaction (see module doc)."""

    def setup(self):
        super().setup()
        self.database = sibling(self.container, Database)
        self.amqp_uri = hub_config.amqp_uri(self.container.config)
        self.retention_days = retention_days(self.container.config)
        self._next_prune = float("-inf")
        self._next_backlog = float("-inf")
        self._publishing: set = set()  # workers that added an event: only they wake the relay

    def start(self):
        declare_topology(self.amqp_uri, self.container.config)
        super().start()

    def get_dependency(self, worker_ctx):
        session = self.database.session_for(worker_ctx)

        def publish(event: Event) -> None:
            session.add(outbox_row(self.database.base, event))
            self._publishing.add(worker_ctx)

        return publish

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        # A read-only request (a dashboard, a search) has nothing to relay: waking the relay for
        # it cost a database query per request (issue 12's profile). The loop's one-second tick
        # still finds rows written any other way.
        if worker_ctx in self._publishing:
            super().worker_result(worker_ctx, result, exc_info)

    def worker_teardown(self, worker_ctx):
        self._publishing.discard(worker_ctx)

    def run_once(self) -> bool:
        sent = relay_pending(self.database.session_factory, self.amqp_uri, self.container.config)
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
            prune_relayed(self.database.session_factory, self.retention_days)
        if time.monotonic() >= self._next_backlog:
            self._next_backlog = time.monotonic() + BACKLOG_EVERY_SECONDS
            self.update_backlog()
        return sent == RELAY_BATCH

    def update_backlog(self) -> None:
        count, age = outbox_backlog(self.database.session_factory)
        OUTBOX_BACKLOG.labels(self.container.service_name).set(count)
        OUTBOX_OLDEST_AGE.labels(self.container.service_name).set(age)
