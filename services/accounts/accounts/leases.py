"""Leases on background work kept in a table (legacy imports, claim-invitation drives).

Any accounts instance may run the work; the one that leases a row does it, renewing the lease as it
goes. A runner that dies stops renewing, so its lease lapses and another instance takes the row up
where it stopped. Both tables carry `status`, `started_at`, `lease_token` and `lease_until`."""
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common.clock import now

LEASE = timedelta(minutes=5)


def claim_oldest(session: Session, model, active_statuses, oldest_first, token: str):
    """The oldest row in an active status that nobody holds (or whose holder's lease lapsed),
    marked running and leased to `token`, committed; None when there is nothing to do.

    SKIP LOCKED lets two instances claim at the same moment without waiting on each other."""
    moment = now()
    row = session.scalar(
        sa.select(model)
        .where(model.status.in_(active_statuses),
               sa.or_(model.lease_until.is_(None), model.lease_until < moment))
        .order_by(oldest_first).limit(1).with_for_update(skip_locked=True))
    if row is None:
        session.rollback()
        return None
    row.lease_token, row.lease_until = token, moment + LEASE
    row.status = "running"
    row.started_at = row.started_at or moment
    session.commit()
    return row


def locked_if_ours(session: Session, model, row_id, token: str):
    """The row, locked for this transaction, if our lease on it still holds; else None."""
    row = session.scalar(sa.select(model).where(model.id == row_id).with_for_update())
    return row if row is not None and row.lease_token == token else None
