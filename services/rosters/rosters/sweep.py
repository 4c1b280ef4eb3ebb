"""The sweep: open records re-evaluated as of a date, so time passing does what it should
(documents lapse, deadlines come, people advance in grouping) without anyone touching a record.
Run daily by the service's timer, once a day whatever the number of replicas (common.daily), and
by staff on demand for a given date.

Each evaluation stores the first day on which time alone may change it (`next_review_on`: an
expiry, a deadline, a window edge, a reminder, the next version of the rules…); any new fact
re-evaluates the person at once (rosters.records). So the daily sweep re-evaluates only the
records due by today — or never reviewed, reviewed under other rules or another reminder
schedule (`review_basis`), or last evaluated as of a later day — and a day on which nothing
changed touches nothing else. A staff sweep for another day, or one asked to, re-evaluates all.

The sweep goes a batch of people at a time; the entrypoint publishes each batch's events and
commits before the next, so transactions stay short when there are tens of thousands of people.
The full sweep reads each batch's facts by ranges of person ids (an index range scan each, not
long IN lists) and only the work days the evaluations read (rosters.engine.evaluate.work_needs)."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.events import Event
from rosters.clock import today
from rosters.facts_store import CHUNK
from rosters.models import ClassificationRecord
from rosters.records import Reevaluation, Tally, reminder_offsets, review_basis

FULL_BATCH = 2_000  # people a batch in a full sweep (ranges of ids, so no bound-parameter limit)


def people_to_sweep(session: Session) -> list:
    return list(session.scalars(
        sa.select(ClassificationRecord.person_id).where(ClassificationRecord.closed_on.is_(None))
        .distinct().order_by(ClassificationRecord.person_id)))


def due_for_review(session: Session, as_of: date, basis: str) -> dict:
    """{person id: {record ids}} of the open records the daily sweep of `as_of` must re-evaluate."""
    record = ClassificationRecord
    due: dict = {}
    for person_id, record_id in session.execute(
            sa.select(record.person_id, record.id).where(
                record.closed_on.is_(None),
                sa.or_(record.next_review_on.is_(None), record.next_review_on <= as_of,
                       record.status_as_of > as_of,
                       record.review_basis.is_(None), record.review_basis != basis))
            .order_by(record.person_id)):
        due.setdefault(person_id, set()).add(record_id)
    return due


@contextmanager
def engine_pace():
    """The engine makes many small objects and no cycles: the collector's passes over the heap
    cost more than the evaluations themselves, so it waits until the batch is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def batches(session: Session, catalog, as_of: date, actor,
            offsets: tuple[int, ...] | None = None, full: bool | None = None) -> Iterator[tuple[Tally, list[Event]]]:
    """Re-evaluate open records as of `as_of`, yielding (tally, events) per batch of people; the
    caller publishes and commits between batches. `full`: every open record; by default only
    for a day other than today (a staff sweep of another date), else the records due (see the
    module's docstring). `offsets`: the deadline reminder schedule
    (rosters.records.reminder_offsets). Each reminder is claimed once (rosters.models.DeadlineNotice),
    so a sweep run twice, two at once, or one restarted part-way sends each reminder once."""
    offsets = offsets if offsets is not None else reminder_offsets()
    if full is None:
        full = as_of != today()
    if full:
        person_ids = people_to_sweep(session)
        for start in range(0, len(person_ids), FULL_BATCH):
            batch = person_ids[start:start + FULL_BATCH]
            reevaluation = Reevaluation(session, catalog, as_of, actor, offsets, sweep=True)
            with engine_pace():
                tally = reevaluation.people(batch, span=(batch[0], batch[-1]))
            yield tally, reevaluation.events
        return
    due = due_for_review(session, as_of, review_basis(catalog, offsets))
    person_ids = list(due)
    for start in range(0, len(person_ids), CHUNK):
        batch = person_ids[start:start + CHUNK]
        reevaluation = Reevaluation(session, catalog, as_of, actor, offsets, sweep=True)
        with engine_pace():
            tally = reevaluation.people(batch, only=set().union(*(due[pid] for pid in batch)))
        yield tally, reevaluation.events


def record_run(session: Session, actor, as_of: date, total: Tally) -> None:
    audit.record(session, actor, "sweep.run", "sweep", as_of.isoformat(), **total.as_dict())
