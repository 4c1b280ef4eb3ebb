"""Staff take a person off the roster of one classification — a suspension, or a withdrawal —
and later put them back. Each is a dated fact (rosters.models.Suspension): the days in between
are time off the roster, Not Compliant and not counted toward advancement in grouping.

Both return (what was done, the events to publish); the entrypoint publishes and commits."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.audit import as_actor
from common.contracts.rosters import ImposeSuspensionIn, LiftSuspensionIn, SuspensionOut
from common.errors import Conflict, NotFound, ValidationFailed
from common.events import Event
from rosters.clock import now
from rosters.models import ClassificationRecord, Suspension
from rosters.records import Reevaluation


def _out(row: Suspension, status: str) -> SuspensionOut:
    return SuspensionOut(suspension_id=row.id, person_id=row.person_id, classification_code=row.classification_code,
                         kind=row.kind, starts_on=row.starts_on, ends_on=row.ends_on, reason=row.reason,
                         record_status=status)


def _reevaluate(session: Session, catalog, record: ClassificationRecord, today: date, actor) -> list[Event]:
    reevaluation = Reevaluation(session, catalog, today, actor)
    reevaluation.people([record.person_id])
    return reevaluation.events


def impose(session: Session, catalog, data: ImposeSuspensionIn, actor,
           today: date) -> tuple[SuspensionOut, list[Event]]:
    code = data.classification_code.upper()
    record = session.scalar(sa.select(ClassificationRecord).where(
        ClassificationRecord.person_id == data.person_id, ClassificationRecord.classification_code == code,
        ClassificationRecord.closed_on.is_(None)))
    if record is None or record.placed_on is None:
        raise NotFound("That person is not on the roster of that classification.")
    starts_on = data.starts_on or today
    if starts_on < record.placed_on:
        raise ValidationFailed("A suspension cannot start before the person was placed "
                               f"({record.placed_on:%m/%d/%Y}).", {"fields": {"starts_on": "before placement"}})
    open_one = session.scalar(sa.select(Suspension.id).where(
        Suspension.person_id == data.person_id, Suspension.classification_code == code,
        Suspension.ends_on.is_(None)))
    if open_one is not None:
        raise Conflict("The person is already off this roster; lift that first.")
    row = Suspension(id=uuid.uuid4(), person_id=data.person_id, classification_code=code, kind=data.kind,
                     starts_on=starts_on, reason=data.reason, imposed_by=as_actor(actor).account_id,
                     created_at=now())
    session.add(row)
    session.flush()
    audit.record(session, actor, f"{data.kind}.imposed", "classification_record", record.id,
                 person_id=data.person_id, classification_code=code, starts_on=starts_on, reason=data.reason,
                 suspension_id=row.id)
    events = _reevaluate(session, catalog, record, today, actor)
    return _out(row, record.status), events


def lift(session: Session, catalog, suspension_id: uuid.UUID, data: LiftSuspensionIn, actor,
         today: date) -> tuple[SuspensionOut, list[Event]]:
    row = session.get(Suspension, suspension_id)
    if row is None:
        raise NotFound("No such suspension.")
    if row.ends_on is not None:
        raise Conflict("That suspension was lifted already.")
    lifted_on = data.lifted_on or today
    if lifted_on < row.starts_on:
        raise ValidationFailed("The person cannot be back before the suspension began "
                               f"({row.starts_on:%m/%d/%Y}).", {"fields": {"lifted_on": "before the start"}})
    row.ends_on, row.lifted_by = lifted_on - timedelta(days=1), as_actor(actor).account_id
    session.flush()
    record = session.scalar(sa.select(ClassificationRecord).where(
        ClassificationRecord.person_id == row.person_id,
        ClassificationRecord.classification_code == row.classification_code))
    audit.record(session, actor, f"{row.kind}.lifted", "classification_record", record.id if record else None,
                 person_id=row.person_id, classification_code=row.classification_code, lifted_on=lifted_on,
                 suspension_id=row.id)
    events = _reevaluate(session, catalog, record, today, actor) if record is not None else []
    return _out(row, record.status if record else "closed"), events


def list_for_person(session: Session, person_id: uuid.UUID) -> list[SuspensionOut]:
    """Every suspension and withdrawal of a person, newest first, with each record's status."""
    rows = session.scalars(sa.select(Suspension).where(Suspension.person_id == person_id)
                           .order_by(Suspension.starts_on.desc(), Suspension.created_at.desc())).all()
    statuses = dict(session.execute(sa.select(ClassificationRecord.classification_code, ClassificationRecord.status)
                                    .where(ClassificationRecord.person_id == person_id)).all())
    return [_out(row, statuses.get(row.classification_code, "closed")) for row in rows]
