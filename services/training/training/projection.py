"""The person's classification records as the training service knows them, kept fresh from
rosters.* events (never asked for by RPC): each function applies one event to `LearnerRecord`.
A status is taken only from an event newer than the one that set it, so a late, older event
changes nothing; a placement is kept once known."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session

from common.events.rosters import (
    ApplicationStarted,
    GroupAdvanced,
    PlacedOnRoster,
    Reinstated,
    StatusChanged,
    Suspended,
)
from training.models import LearnerRecord


def _record(session: Session, person_id: uuid.UUID, code: str, at: datetime) -> LearnerRecord:
    row = session.get(LearnerRecord, (person_id, code))
    if row is None:
        row = LearnerRecord(person_id=person_id, classification_code=code, status="", closed=False,
                            event_at=at)
        session.add(row)
    return row


def _status(row: LearnerRecord, status: str, at: datetime) -> None:
    if row.status and at < row.event_at:
        return
    row.status, row.event_at = status, at


def _placed(row: LearnerRecord, on: date) -> None:
    if row.placed_on is None or on < row.placed_on:
        row.placed_on = on


def application_started(session: Session, event: ApplicationStarted) -> None:
    row = _record(session, event.person_id, event.classification_code, event.occurred_at)
    if event.local:
        row.local = event.local
    if event.roster:
        row.roster = event.roster
    session.flush()


def status_changed(session: Session, event: StatusChanged) -> None:
    row = _record(session, event.person_id, event.classification_code, event.occurred_at)
    _status(row, event.new_status, event.occurred_at)
    row.closed = event.new_status == "closed"
    session.flush()


def placed_on_roster(session: Session, event: PlacedOnRoster) -> None:
    row = _record(session, event.person_id, event.classification_code, event.occurred_at)
    if event.local:
        row.local = event.local
    _placed(row, event.placed_on)
    session.flush()


def suspended(session: Session, event: Suspended) -> None:
    row = _record(session, event.person_id, event.classification_code, event.occurred_at)
    _status(row, "not_compliant", event.occurred_at)
    session.flush()


def reinstated(session: Session, event: Reinstated) -> None:
    row = _record(session, event.person_id, event.classification_code, event.occurred_at)
    _status(row, "compliant", event.occurred_at)
    session.flush()


def group_advanced(session: Session, event: GroupAdvanced) -> None:
    old = _record(session, event.person_id, event.from_classification_code, event.occurred_at)
    old.closed = True
    new = _record(session, event.person_id, event.to_classification_code, event.occurred_at)
    new.local = new.local or old.local
    _placed(new, event.as_of)
    session.flush()
