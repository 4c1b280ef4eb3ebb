"""The `health` RPC every service answers: its database answers and its outbox is draining."""
from __future__ import annotations

import sqlalchemy as sa
from nameko.rpc import rpc
from sqlalchemy.orm import Session

from common.db import base_of


def health_report(service: str, session: Session) -> dict:
    outbox = base_of(session).OutboxMessage
    session.execute(sa.text("SELECT 1"))
    pending = session.scalar(sa.select(sa.func.count()).select_from(outbox).where(outbox.sent_at.is_(None)))
    return {"service": service, "status": "ok", "outbox_pending": pending}


class StandardRpcs:
    """What every service answers: `health` and `list_audit` (for the staff audit page)."""

    @rpc
    def health(self) -> dict:
        return health_report(self.name, self.db)

    @rpc
    def list_audit(self, filters: dict) -> list:
        from common.audit import list_entries

        allowed = {"actor_account_id", "target_id", "action", "limit", "before_id"}
        return list_entries(self.db, self.name, **{k: v for k, v in (filters or {}).items() if k in allowed})
