"""The `health` RPC every service answers: its database answers and its outbox is draining."""
from __future__ import annotations

import sqlalchemy as sa
from nameko.dependency_providers import Config
from sqlalchemy.orm import Session

from common.db import base_of
from common.messaging import rpc


def health_report(service: str, session: Session) -> dict:
    outbox = base_of(session).OutboxMessage
    session.execute(sa.text("SELECT 1"))
    pending = session.scalar(sa.select(sa.func.count()).select_from(outbox).where(outbox.sent_at.is_(None)))
    return {"service": service, "status": "ok", "outbox_pending": pending}


def parked_counts(service: str, config) -> dict[str, int]:
    """How many events wait in each of `service`'s parked queues (common.messaging): a passive
    declare per queue, on the service's own broker connection settings."""
    from common import config as hub_config
    from common.topology import connect, consumed_by

    counts = {}
    with connect(hub_config.amqp_uri(config), config) as connection:
        channel = connection.channel()
        for sub in consumed_by(service):
            _, count, _ = channel.queue_declare(sub.parked_queue_name, passive=True)
            counts[sub.queue_name] = count
    return counts


class StandardRpcs:
    """What every service answers: `health`, `parked_events` (for the staff home) and
    `list_audit` (for the staff audit page)."""

    standard_config = Config()

    @rpc
    def health(self) -> dict:
        return health_report(self.name, self.db)

    @rpc
    def parked_events(self) -> dict:
        return {"service": self.name, "parked": parked_counts(self.name, self.standard_config)}

    @rpc
    def list_audit(self, filters: dict) -> list:
        from common.audit import list_entries

        allowed = {"actor_account_id", "target_id", "action", "limit", "before_id"}
        return list_entries(self.db, self.name, **{k: v for k, v in (filters or {}).items() if k in allowed})
