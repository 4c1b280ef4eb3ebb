"""The `health` RPC every service answers: its database answers and its outbox is draining."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common.db import base_of


def health_report(service: str, session: Session) -> dict:
    outbox = base_of(session).OutboxMessage
    session.execute(sa.text("SELECT 1"))
    pending = session.scalar(sa.select(sa.func.count()).select_from(outbox).where(outbox.sent_at.is_(None)))
    return {"service": service, "status": "ok", "outbox_pending": pending}
