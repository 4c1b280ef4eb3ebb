"""Rows of the legacy import (issue 11) that the training service owns: course completions, sent
by the accounts service's import runner a batch at a time. People are referred to by IL number
and found in this service's own person projection (Learner).

Idempotent: a completion already on file for the same person, course and day is unchanged (or
updated when the file gives another expiry or score), so the same file imported twice, or a
batch replayed after a crash, changes nothing."""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.audit import Actor
from common.contracts.imports import BatchOut, CompletionRow, RejectedRow, parse_batch
from common.errors import ValidationFailed
from common.events import Event
from training.courses import Catalog, Course
from training.domain import completed_event
from training.models import Completion, Learner

UNKNOWN_PERSON = "il_number: no person with this IL number (import the people file first)"
MAX_ROWS = 5000
CHUNK = 1000        # ids per IN (...) query
SOURCE = "legacy import"


def _chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _parse(rows: list) -> tuple[list[tuple[int, CompletionRow]], list[RejectedRow]]:
    return parse_batch(CompletionRow, rows)


def _people(session: Session, il_numbers) -> dict[str, uuid.UUID]:
    found = {}
    for batch in _chunks(il_numbers):
        found.update(session.execute(sa.select(Learner.il_number, Learner.person_id)
                                     .where(Learner.il_number.in_(batch))).tuples().all())
    return found


def _on_file(session: Session, person_ids, codes) -> dict[tuple, Completion]:
    """The completions of these people in these courses, by (person, course, day): the first
    recorded when the same one is on file twice."""
    found: dict[tuple, Completion] = {}
    if not codes:
        return found
    for batch in _chunks(person_ids):
        for completion in session.scalars(
                sa.select(Completion).where(Completion.person_id.in_(batch), Completion.course_code.in_(codes))
                .order_by(Completion.recorded_at, Completion.id)):
            found.setdefault((completion.person_id, completion.course_code, completion.completed_on), completion)
    return found


def completions(session: Session, catalog: Catalog, rows: list, actor: Actor, today: date,
                at: datetime) -> tuple[BatchOut, list[Event]]:
    parsed, rejected = _parse(rows)
    people = _people(session, {r.il_number for _, r in parsed})
    accepted: list[tuple[uuid.UUID, Course, CompletionRow]] = []
    for line, row in parsed:
        person_id = people.get(row.il_number)
        course = catalog.get(row.course_code)
        if person_id is None:
            rejected.append(RejectedRow(line=line, reason=UNKNOWN_PERSON))
        elif course is None:
            rejected.append(RejectedRow(line=line, reason=f"course_code: unknown course {row.course_code!r}"))
        elif row.completed_on > today:
            rejected.append(RejectedRow(line=line, reason="completed_on: is in the future"))
        else:
            accepted.append((person_id, course, row))
    on_file = _on_file(session, {p for p, _, _ in accepted}, {c.code for _, c, _ in accepted})
    out = BatchOut()
    created: list[tuple[Course, Completion]] = []
    for person_id, course, row in accepted:
        # a blank expiry is computed like any completion's (the course's refresher period)
        expires_on = row.expires_on if row.expires_on is not None else course.valid_through(row.completed_on)
        key = (person_id, course.code, row.completed_on)
        completion = on_file.get(key)
        if completion is None:
            # An expiry already passed is left to the daily sweep, which announces it once (or not at
            # all when a later completion renewed it in time), as for a past completion recorded by
            # staff: rosters already has the expiry from course_completed, so nothing is counted twice.
            completion = Completion(id=uuid.uuid4(), person_id=person_id, course_code=course.code,
                                    completed_on=row.completed_on, expires_on=expires_on, score=row.score,
                                    source=row.source or SOURCE, recorded_at=at, recorded_by=actor.account_id)
            session.add(completion)
            on_file[key] = completion   # the same completion twice in the file is created once
            created.append((course, completion))
            out.created += 1
            continue
        # a blank score is unknown, not "no score": it keeps the one on file (an online quiz's)
        score = row.score if row.score is not None else completion.score
        if (completion.expires_on, completion.score) == (expires_on, score):
            out.unchanged += 1
            continue
        if completion.expires_on != expires_on and (expires_on is None or expires_on >= today):
            completion.expired_event_sent_at = None   # its lapse, if any, is still to be announced
        completion.expires_on, completion.score = expires_on, score
        out.updated += 1
    session.flush()
    # built once the batch is applied, so a row repeated later in the file is in its event
    # history, not news: rosters counts it, notifications tells nobody (CourseCompleted.imported)
    events: list[Event] = [completed_event(course, completion).model_copy(update={"imported": True})
                           for course, completion in created]
    out.rejected = sorted(rejected, key=lambda r: r.line)
    audit.record(session, actor, "import.completions", "import", None, rows=len(rows), created=out.created,
                 updated=out.updated, unchanged=out.unchanged, rejected=len(rejected))
    return out, events


def import_rows(session: Session, catalog: Catalog, kind: str, rows, actor: Actor, today: date,
                at: datetime) -> tuple[BatchOut, list[Event]]:
    if kind != "completions":
        raise ValidationFailed(f"The training service does not import {kind!r}.")
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise ValidationFailed(f"Send up to {MAX_ROWS} rows as a list.")
    return completions(session, catalog, rows, actor, today, at)
