"""Removal of a placed person from a classification's roster (issue 11). Staff start it with a
reason from the data (rosters/casework.yml); the record is closed from `effective_on` — a dated
fact, in the person's history. The person may protest through `protest_by` (the configured
number of days); while a protest is open the record is open again and the name stays on the
roster, marked (closed_reason "protest open …"), until staff decide: upheld closes it again from
`effective_on`, reversed keeps it (a reinstatement).

Each write returns (what was done, the events to publish); the entrypoint publishes and commits."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.audit import as_actor
from common.contracts.rosters import ProtestIn, RemovalDecisionIn, RemovalOut, StartRemovalIn
from common.errors import Conflict, NotFound, ValidationFailed
from common.events import Event
from common.events.rosters import RemovalDecided, RemovalProtested, Removed, StatusChanged
from rosters import casework_data
from rosters.clock import now
from rosters.models import ClassificationRecord, Removal
from rosters.records import Reevaluation
from rosters.rulebook import classification_or_none

PROTEST_MARK = "protest open: removal of {:%m/%d/%Y} awaits a decision"


def status_of(row: Removal, today: date) -> str:
    """pending while the protest window is open; removed once it closed unprotested."""
    if row.status == "pending" and today > row.protest_by:
        return "removed"
    return row.status


def _out(row: Removal, today: date) -> RemovalOut:
    status = status_of(row, today)
    return RemovalOut(removal_id=row.id, person_id=row.person_id, classification_code=row.classification_code,
                      reason=row.reason_code,
                      reason_label=casework_data.removal_reasons().get(row.reason_code, row.reason_code),
                      note=row.note, effective_on=row.effective_on, protest_by=row.protest_by, status=status,
                      protest_open=status == "pending", protest_text=row.protest_text,
                      protested_on=row.protested_on, decision=row.decision, decision_reason=row.decision_reason,
                      decided_on=row.decided_on)


def _record(session: Session, person_id: uuid.UUID, code: str) -> ClassificationRecord | None:
    return session.scalar(sa.select(ClassificationRecord).where(
        ClassificationRecord.person_id == person_id, ClassificationRecord.classification_code == code))


def _close(record: ClassificationRecord, on: date, why: str, today: date) -> list[Event]:
    old = record.status
    record.closed_on, record.closed_reason = on, why[:200]
    record.status, record.status_as_of, record.updated_at = "closed", today, now()
    record.anticipated_advancement_on = record.lapses_on = None
    if old == "closed":
        return []
    return [StatusChanged(person_id=record.person_id, classification_code=record.classification_code,
                          old_status=old, new_status="closed", as_of=today)]


def _reopen(session: Session, catalog, record: ClassificationRecord, mark: str | None, actor,
            today: date) -> list[Event]:
    record.closed_on, record.closed_reason = None, mark
    session.flush()
    reevaluation = Reevaluation(session, catalog, today, actor)
    reevaluation.people([record.person_id])
    return reevaluation.events


def start(session: Session, catalog, person_id: uuid.UUID, data: StartRemovalIn, actor, today: date,
          protest_days: int) -> tuple[RemovalOut, list[Event]]:
    code = data.classification_code.upper()
    reasons = casework_data.removal_reasons()
    if data.reason not in reasons:
        raise ValidationFailed("Choose one of the removal reasons listed.",
                               {"fields": {"reason": "one of " + ", ".join(reasons)}})
    record = _record(session, person_id, code)
    if record is None or record.placed_on is None or record.closed_on is not None:
        raise NotFound("That person is not on the roster of that classification.")
    effective_on = data.effective_on or today
    if effective_on > today or effective_on < record.placed_on:
        raise ValidationFailed(f"A removal takes effect between the placement ({record.placed_on:%m/%d/%Y}) "
                               "and today.", {"fields": {"effective_on": "out of range"}})
    open_one = session.scalar(sa.select(Removal.id).where(
        Removal.person_id == person_id, Removal.classification_code == code,
        Removal.status.in_(("pending", "protested")), Removal.protest_by >= today))
    if open_one is not None:
        raise Conflict("A removal from this roster is already under way.")
    row = Removal(id=uuid.uuid4(), person_id=person_id, classification_code=code, reason_code=data.reason,
                  note=data.note, effective_on=effective_on, protest_by=today + timedelta(days=protest_days),
                  status="pending", started_by=as_actor(actor).account_id, created_at=now())
    session.add(row)
    events = _close(record, effective_on, f"removed: {reasons[data.reason]}", today)
    session.flush()
    audit.record(session, actor, "removal.started", "classification_record", record.id, person_id=person_id,
                 classification_code=code, reason=data.reason, effective_on=effective_on, removal_id=row.id)
    rules = classification_or_none(catalog, code, today)
    events.append(Removed(person_id=person_id, removal_id=row.id, classification_code=code,
                          reason=reasons[data.reason], effective_on=effective_on, protest_by=row.protest_by,
                          classification_name=rules.name if rules else None))
    return _out(row, today), events


def protest(session: Session, catalog, person_id: uuid.UUID, removal_id: uuid.UUID, data: ProtestIn, actor,
            today: date) -> tuple[RemovalOut, list[Event]]:
    row = session.get(Removal, removal_id)
    if row is None or row.person_id != person_id:
        raise NotFound("No such removal.")  # someone else's is not found, never forbidden
    if row.status == "protested":
        raise Conflict("You protested this removal already; staff will decide it.")
    if status_of(row, today) != "pending":
        raise ValidationFailed(f"The time to protest this removal ended on {row.protest_by:%m/%d/%Y}.",
                               {"fields": {"removal": "protest window closed"}})
    row.status, row.protest_text, row.protested_on = "protested", data.text, today
    record = _record(session, row.person_id, row.classification_code)
    events: list[Event] = []
    if record is not None:
        events += _reopen(session, catalog, record, PROTEST_MARK.format(row.effective_on), actor, today)
    audit.record(session, actor, "removal.protested", "classification_record", record.id if record else None,
                 person_id=person_id, classification_code=row.classification_code, removal_id=row.id)
    events.append(RemovalProtested(person_id=person_id, removal_id=row.id,
                                   classification_code=row.classification_code, protested_on=today))
    return _out(row, today), events


def decide(session: Session, catalog, removal_id: uuid.UUID, data: RemovalDecisionIn, actor,
           today: date) -> tuple[RemovalOut, list[Event]]:
    row = session.get(Removal, removal_id)
    if row is None:
        raise NotFound("No such removal.")
    if row.status not in ("pending", "protested"):
        raise Conflict(f"That removal was decided already ({row.decision}).")
    record = _record(session, row.person_id, row.classification_code)
    events: list[Event] = []
    if data.decision == "uphold":
        row.status, row.decision = "removed", "upheld"
        if record is not None:
            label = casework_data.removal_reasons().get(row.reason_code, row.reason_code)
            events += _close(record, row.effective_on, f"removed: {label}", today)
    else:
        row.status, row.decision = "reversed", "reversed"
        if record is not None and (record.closed_on is not None or record.closed_reason):
            events += _reopen(session, catalog, record, None, actor, today)
    row.decision_reason, row.decided_on, row.decided_by = data.reason, today, as_actor(actor).account_id
    session.flush()
    audit.record(session, actor, f"removal.{row.decision}", "classification_record",
                 record.id if record else None, person_id=row.person_id,
                 classification_code=row.classification_code, reason=data.reason, removal_id=row.id)
    events.append(RemovalDecided(person_id=row.person_id, removal_id=row.id,
                                 classification_code=row.classification_code, decision=row.decision,
                                 effective_on=row.effective_on, reason=data.reason))
    return _out(row, today), events


def list_for_person(session: Session, person_id: uuid.UUID, today: date) -> list[RemovalOut]:
    rows = session.scalars(sa.select(Removal).where(Removal.person_id == person_id)
                           .order_by(Removal.created_at.desc())).all()
    return [_out(r, today) for r in rows]


def protests(session: Session, today: date) -> list[RemovalOut]:
    rows = session.scalars(sa.select(Removal).where(Removal.status == "protested")
                           .order_by(Removal.protested_on).limit(500)).all()
    return [_out(r, today) for r in rows]


def protests_summary(session: Session, today: date) -> dict:
    count, oldest = session.execute(sa.select(sa.func.count(Removal.id), sa.func.min(Removal.protested_on))
                                    .where(Removal.status == "protested")).one()
    return {"count": count, "oldest_days": (today - oldest).days if oldest else None}


def expiring(session: Session, today: date, within: int) -> list[dict]:
    """Open records whose next lapse falls within `within` days, counted by local and
    classification (from the cached `lapses_on` the sweep keeps fresh)."""
    until = today + timedelta(days=within)
    rows = session.execute(
        sa.select(ClassificationRecord.local, ClassificationRecord.classification_code,
                  sa.func.count(ClassificationRecord.id), sa.func.min(ClassificationRecord.lapses_on))
        .where(ClassificationRecord.closed_on.is_(None), ClassificationRecord.lapses_on.is_not(None),
               ClassificationRecord.lapses_on >= today, ClassificationRecord.lapses_on <= until)
        .group_by(ClassificationRecord.local, ClassificationRecord.classification_code)
        .order_by(ClassificationRecord.local, ClassificationRecord.classification_code)).all()
    return [{"local": local, "classification_code": code, "records": n, "earliest_lapse_on": first.isoformat()}
            for local, code, n, first in rows]
