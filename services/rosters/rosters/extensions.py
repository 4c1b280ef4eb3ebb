"""Deadline extensions (issue 11): before a requirement's deadline a person asks for more time,
with the circumstance (from rosters/casework.yml) and evidence documents; staff approve it for
the length of the circumstance (a new due date, `until`) or deny it with a reason. While
approved the engine reads the requirement as due on `until` (engine.facts.Extension), so the
record is not out of compliance for it before then. Requests after the deadline are refused.

Each write returns (what was done, the events to publish); the entrypoint publishes and commits."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.audit import as_actor
from common.contracts.rosters import ExtensionDecisionIn, ExtensionOut, ExtensionRequestIn
from common.errors import Conflict, NotFound, ValidationFailed
from common.events import Event
from common.events.rosters import ExtensionDecided
from rosters import casework_data, views
from rosters.clock import now
from rosters.models import ClassificationRecord, Extension
from rosters.records import Reevaluation
from rosters.rulebook import classification_or_none


def _out(row: Extension) -> ExtensionOut:
    labels = casework_data.circumstances()
    ids = [uuid.UUID(i) for i in (row.document_ids or "").split(",") if i]
    return ExtensionOut(extension_id=row.id, person_id=row.person_id, classification_code=row.classification_code,
                        requirement=row.requirement, circumstance=row.circumstance,
                        circumstance_label=labels.get(row.circumstance, row.circumstance),
                        original_due_on=row.original_due_on, requested_until=row.requested_until,
                        document_ids=ids, requested_on=row.requested_on, status=row.status, until=row.until,
                        decided_on=row.decided_on, reason=row.reason)


def _refuse(message: str, field: str, why: str):
    raise ValidationFailed(message, {"fields": {field: why}})


def request(session: Session, catalog, person_id: uuid.UUID, data: ExtensionRequestIn, actor,
            today: date) -> ExtensionOut:
    code = data.classification_code.upper()
    if data.circumstance not in casework_data.circumstances():
        _refuse("Choose one of the circumstances listed.", "circumstance",
                "one of " + ", ".join(casework_data.circumstances()))
    record = views.person_record(session, catalog, person_id, code, today)  # NotFound if none
    row = next((r for r in record.rows if r.label == data.requirement), None)
    if row is None:
        _refuse("That requirement is not one of this classification's.", "requirement", "unknown requirement")
    if row.state == "met" or row.due_on is None or row.kind not in ("course", "questionnaire") \
            or row.detail.startswith("Completed"):
        _refuse("That requirement has no deadline to extend.", "requirement", "no deadline")
    if row.due_on < today:
        _refuse(f"The deadline passed on {row.due_on:%m/%d/%Y}: an extension must be asked for before "
                "the deadline. Contact Contract Services.", "requirement", "after the deadline")
    if data.until <= row.due_on:
        _refuse(f"Ask for a date after the current due date ({row.due_on:%m/%d/%Y}).", "until", "not later")
    if data.until > row.due_on + timedelta(days=casework_data.max_extension_days()):
        _refuse("That is longer than an extension may be.", "until", "too long")
    open_one = session.scalar(sa.select(Extension.id).where(
        Extension.person_id == person_id, Extension.classification_code == code,
        Extension.requirement == data.requirement, Extension.status == "requested"))
    if open_one is not None:
        raise Conflict("You already asked for more time on this requirement; staff will decide it.")
    ext = Extension(id=uuid.uuid4(), person_id=person_id, classification_code=code, requirement=data.requirement,
                    circumstance=data.circumstance, original_due_on=row.due_on, requested_until=data.until,
                    document_ids=",".join(str(d) for d in data.document_ids), requested_on=today,
                    status="requested", created_at=now())
    session.add(ext)
    session.flush()
    audit.record(session, actor, "extension.requested", "classification_record", record.record_id,
                 person_id=person_id, classification_code=code, requirement=data.requirement,
                 until=data.until, extension_id=ext.id)
    return _out(ext)


def decide(session: Session, catalog, extension_id: uuid.UUID, data: ExtensionDecisionIn, actor,
           today: date) -> tuple[ExtensionOut, list[Event]]:
    ext = session.get(Extension, extension_id)
    if ext is None:
        raise NotFound("No such extension request.")
    if ext.status != "requested":
        raise Conflict(f"That request was {ext.status} already.")
    events: list[Event] = []
    if data.decision == "approve":
        until = data.until or ext.requested_until
        if until <= ext.original_due_on:
            _refuse(f"The new due date must be after {ext.original_due_on:%m/%d/%Y}.", "until", "not later")
        ext.status, ext.until = "approved", until
    else:
        ext.status = "denied"
    ext.decided_on, ext.decided_by, ext.reason = today, as_actor(actor).account_id, data.reason
    session.flush()
    record = session.scalar(sa.select(ClassificationRecord).where(
        ClassificationRecord.person_id == ext.person_id,
        ClassificationRecord.classification_code == ext.classification_code))
    audit.record(session, actor, f"extension.{ext.status}", "classification_record",
                 record.id if record else None, person_id=ext.person_id,
                 classification_code=ext.classification_code, requirement=ext.requirement, until=ext.until,
                 reason=ext.reason, extension_id=ext.id)
    if record is not None and ext.status == "approved":
        reevaluation = Reevaluation(session, catalog, today, actor)
        reevaluation.people([ext.person_id])
        events += reevaluation.events
    name = _classification_name(catalog, ext.classification_code, today)
    events.append(ExtensionDecided(person_id=ext.person_id, extension_id=ext.id,
                                   classification_code=ext.classification_code, requirement=ext.requirement,
                                   decision=ext.status, until=ext.until, reason=ext.reason,
                                   classification_name=name))
    return _out(ext), events


def _classification_name(catalog, code: str, on: date) -> str | None:
    rules = classification_or_none(catalog, code, on)
    return rules.name if rules is not None else None


def list_for_person(session: Session, person_id: uuid.UUID) -> list[ExtensionOut]:
    rows = session.scalars(sa.select(Extension).where(Extension.person_id == person_id)
                           .order_by(Extension.created_at.desc())).all()
    return [_out(r) for r in rows]


def queue(session: Session, status: str | None = "requested") -> list[ExtensionOut]:
    query = sa.select(Extension).order_by(Extension.created_at)
    if status:
        query = query.where(Extension.status == status)
    return [_out(r) for r in session.scalars(query.limit(500))]


def queue_summary(session: Session, today: date) -> dict:
    count, oldest = session.execute(sa.select(sa.func.count(Extension.id), sa.func.min(Extension.requested_on))
                                    .where(Extension.status == "requested")).one()
    return {"count": count, "oldest_days": (today - oldest).days if oldest else None}
