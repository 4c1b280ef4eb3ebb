"""Once-a-day jobs in services that run several replicas (the rosters sweep, notification
reminders): the replica that inserts the day's row runs the job; the others see the row and
skip it. A replica that claimed the day and died is presumed gone after `stale_after`, and the
next replica to look takes the day over.

Each job has its own table, made from `DailyRunMixin` on the service's Base:

    class SweepRun(DailyRunMixin, Base):
        __tablename__ = "sweep_runs"

    if claim_day(session, SweepRun, today()):   # commits the claim
        ...run the job, committing as it goes...
        finish_day(session, SweepRun, day, {"evaluated": 60000})
        session.commit()
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from common.clock import now
from common.db import UTCDateTime

STALE_AFTER = timedelta(hours=3)


class DailyRunMixin:
    """One row per day the job ran (or is running): `finished_at` stays empty if it died part-way."""
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[str | None] = mapped_column(sa.Text)


def claim_day(session: Session, model, day: date, stale_after: timedelta = STALE_AFTER) -> bool:
    """True if this replica is the one to run `day`'s job. The claim is committed before the
    job starts (so the session's transaction ends here either way)."""
    run = session.get(model, day)
    if run is None:
        session.add(model(day=day, started_at=now()))
        try:
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
            return False
    if run.finished_at is not None or now() - run.started_at < stale_after:
        session.rollback()
        return False
    taken = session.execute(sa.update(model).where(
        model.day == day, model.finished_at.is_(None), model.started_at == run.started_at)
        .values(started_at=now())).rowcount
    session.commit()
    return taken == 1


def finish_day(session: Session, model, day: date, summary: dict | None = None) -> None:
    """Mark `day` done (the caller commits)."""
    run = session.get(model, day)
    run.finished_at = now()
    run.summary = json.dumps(summary or {}, default=str, sort_keys=True)


def run_once_a_day(session: Session, model, day: date, work) -> int | None:
    """Run `work()` (which commits its own batches and returns a count) if no replica has
    claimed `day` yet, and record the count; None when someone else has the day."""
    if not claim_day(session, model, day):
        return None
    count = work()
    finish_day(session, model, day, {"count": count})
    session.commit()
    return count
