"""At-least-once delivery means a handler may see the same event twice.

`first_delivery(session, event, consumer)` records the event id in the handler's own
transaction: it returns False (do nothing) if this consumer already committed that event. If
two deliveries race, the primary key rejects the second commit, which then retries, sees the
row, and does nothing.
"""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from common.db import base_of
from common.events import Event


def first_delivery(session: Session, event: Event, consumer: str) -> bool:
    processed = base_of(session).ProcessedEvent
    if session.get(processed, (event.event_id, consumer)) is not None:
        return False
    session.add(processed(event_id=event.event_id, consumer=consumer,
                          processed_at=datetime.now(UTC)))
    return True
