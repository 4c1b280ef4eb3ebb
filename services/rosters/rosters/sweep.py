"""The sweep: every open record re-evaluated as of a date, so time passing does what it should
(documents lapse, deadlines come, people advance in grouping) without anyone touching a record.
Run daily by the service's timer, once a day whatever the number of replicas, and by staff on
demand for a given date."""
from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common import audit
from common.events import Event
from rosters.clock import now
from rosters.facts_store import CHUNK
from rosters.models import ClassificationRecord, SweepRun
from rosters.records import Reevaluation, Tally

# a replica that claimed the day but died is presumed gone after this long; another takes over
STALE_AFTER = timedelta(hours=3)


def run_sweep(session: Session, catalog, as_of: date, publish: Callable[[Event], None], actor,
              commit: Callable[[], None] | None = None) -> Tally:
    """Re-evaluate everyone with an open record, a batch of people at a time; `commit` after each
    batch keeps transactions short when there are tens of thousands of people."""
    person_ids = list(session.scalars(
        sa.select(ClassificationRecord.person_id).where(ClassificationRecord.closed_on.is_(None))
        .distinct().order_by(ClassificationRecord.person_id)))
    total = Tally()
    for start in range(0, len(person_ids), CHUNK):
        tally = Reevaluation(session, catalog, publish, as_of, actor).people(person_ids[start:start + CHUNK])
        for field, value in tally.as_dict().items():
            setattr(total, field, getattr(total, field) + value)
        if commit is not None:
            commit()
    audit.record(session, actor, "sweep.run", "sweep", as_of.isoformat(), **total.as_dict())
    return total


def claim_day(session: Session, day: date) -> bool:
    """True if this replica is the one to run `day`'s sweep (committed before it starts)."""
    run = session.get(SweepRun, day)
    if run is None:
        session.add(SweepRun(day=day, started_at=now()))
        try:
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
            return False
    if run.finished_at is not None or now() - run.started_at < STALE_AFTER:
        session.rollback()
        return False
    taken = session.execute(sa.update(SweepRun).where(
        SweepRun.day == day, SweepRun.finished_at.is_(None), SweepRun.started_at == run.started_at)
        .values(started_at=now())).rowcount
    session.commit()
    return taken == 1


def finish_day(session: Session, day: date, tally: Tally) -> None:
    run = session.get(SweepRun, day)
    run.finished_at = now()
    run.summary = json.dumps(tally.as_dict())
