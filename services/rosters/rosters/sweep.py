"""The sweep: every open record re-evaluated as of a date, so time passing does what it should
(documents lapse, deadlines come, people advance in grouping) without anyone touching a record.
Run daily by the service's timer, once a day whatever the number of replicas (common.daily), and
by staff on demand for a given date.

The sweep goes a batch of people at a time; the entrypoint publishes each batch's events and
commits before the next, so transactions stay short when there are tens of thousands of people."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.events import Event
from rosters.facts_store import CHUNK
from rosters.models import ClassificationRecord
from rosters.records import Reevaluation, Tally


def people_to_sweep(session: Session) -> list:
    return list(session.scalars(
        sa.select(ClassificationRecord.person_id).where(ClassificationRecord.closed_on.is_(None))
        .distinct().order_by(ClassificationRecord.person_id)))


def batches(session: Session, catalog, as_of: date, actor,
            offsets: tuple[int, ...] | None = None) -> Iterator[tuple[Tally, list[Event]]]:
    """Re-evaluate everyone with an open record as of `as_of`, yielding (tally, events) per batch
    of people; the caller publishes and commits between batches. `offsets`: the deadline
    reminder schedule (rosters.records.reminder_offsets). Each reminder is claimed once
    (rosters.models.DeadlineNotice), so a sweep run twice, two at once, or one restarted
    part-way sends each reminder once."""
    person_ids = people_to_sweep(session)
    for start in range(0, len(person_ids), CHUNK):
        reevaluation = Reevaluation(session, catalog, as_of, actor, offsets)
        tally = reevaluation.people(person_ids[start:start + CHUNK])
        yield tally, reevaluation.events


def record_run(session: Session, actor, as_of: date, total: Tally) -> None:
    audit.record(session, actor, "sweep.run", "sweep", as_of.isoformat(), **total.as_dict())
