"""Rows of the legacy import (issue 11) that the documents service owns: papers on file in the
legacy system, sent by the accounts service's import runner a batch at a time. Only their
metadata comes over (no scan): such a document is listed with its status and dates and has
nothing to download. People are referred to by IL number and found in the `Owner` projection.

Idempotent: a paper is found again by its `legacy_key` (person, type, issue date); the same
status, dates and reason are unchanged, so a batch replayed after a crash changes nothing.

An imported approved or rejected paper counts for the rosters like a staff review: it is
announced as documents.document_reviewed (reviewed by no one: the system), marked `imported`
so the person gets no "Document approved" message about a paper from years ago."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.contracts.imports import BatchOut, DocumentRow, RejectedRow, parse_batch
from common.contracts.text import plain_text
from common.errors import ValidationFailed
from common.events import Event
from common.events.documents import DocumentExpired, DocumentReviewed
from documents.document_types import DocumentTypes
from documents.domain import status_as_of
from documents.models import Document, Owner
from documents.orphans import batches

KIND = "documents"
MAX_ROWS = 5000
CHUNK = 500
LEGACY_FILE_NAME = "On file (legacy)"
UNKNOWN_PERSON = "il_number: no person with this IL number (import the people file first)"
DECIDED_IN_HUB = "status: staff have reviewed this document in the Hub since it was imported; not changed"


def legacy_key(person_id: uuid.UUID, document_type: str, issued_on: date | None) -> str:
    return f"{person_id}/{document_type}/{issued_on.isoformat() if issued_on else '-'}"


def _parse(rows: list) -> tuple[list[tuple[int, DocumentRow]], list[RejectedRow]]:
    return parse_batch(DocumentRow, rows)


def _people(session: Session, il_numbers) -> dict[str, uuid.UUID]:
    found: dict[str, uuid.UUID] = {}
    for chunk in batches(il_numbers, CHUNK):
        found.update(session.execute(sa.select(Owner.il_number, Owner.person_id)
                                     .where(Owner.il_number.in_(chunk))).tuples().all())
    return found


def _on_file(session: Session, keys) -> dict[str, Document]:
    found: dict[str, Document] = {}
    for chunk in batches(keys, CHUNK):
        found.update((d.legacy_key, d) for d in session.scalars(sa.select(Document)
                                                                 .where(Document.legacy_key.in_(chunk))))
    return found


def _problem(types: DocumentTypes, row: DocumentRow, today: date) -> str | None:
    kind = types.get(row.document_type)
    if kind is None:
        return f"document_type: unknown document type {row.document_type!r}"
    if row.issued_on and row.issued_on > today:
        return "issued_on: is in the future"
    if row.status == "approved" and kind.expires and row.expires_on is None:
        return f"expires_on: a {kind.label} expires; an approved one needs its expiry date"
    try:
        plain_text(row.reason, "The reason")
    except ValueError as exc:
        return f"reason: {exc}"[:500]
    return None


def _same(document: Document, row: DocumentRow, today: date) -> bool:
    """As of today: the sweep may have stored "expired" for what the file calls approved."""
    return (status_as_of(document, today) == status_as_of(row, today)
            and (document.issued_on, document.expires_on, document.reason)
            == (row.issued_on, row.expires_on, row.reason))


def _apply(document: Document, row: DocumentRow, at: datetime, today: date) -> None:
    document.status, document.reason = row.status, row.reason
    document.issued_on, document.expires_on = row.issued_on, row.expires_on
    document.reviewed_at = at if row.status != "pending_review" else None
    if status_as_of(row, today) == "expired":
        # over before it reached the Hub: the expiry sweep does not announce it as news
        document.expired_event_sent_at = document.expired_event_sent_at or at
    else:
        document.expired_event_sent_at = None  # the sweep announces it when it does expire


def _events(types: DocumentTypes, document: Document, was: str | None, at: datetime,
            today: date) -> list[Event]:
    label = types.label(document.document_type)
    if document.status in ("approved", "rejected"):
        return [DocumentReviewed(document_id=document.id, person_id=document.person_id,
                                 document_type=document.document_type, decision=document.status,
                                 reason=document.reason, issued_on=document.issued_on,
                                 expires_on=document.expires_on, reviewed_on=today, reviewed_at=at,
                                 imported=True, document_label=label)]
    if document.status == "expired" and was == "approved":
        # it counted until now: the rosters hear that it no longer does
        expired_on = document.expires_on + timedelta(days=1) if document.expires_on else today
        return [DocumentExpired(document_id=document.id, person_id=document.person_id,
                                document_type=document.document_type, expired_on=min(expired_on, today),
                                document_label=label)]
    return []


def documents(session: Session, types: DocumentTypes, rows: list, actor, today: date,
              at: datetime) -> tuple[BatchOut, list[Event]]:
    actor = audit.as_actor(actor)
    parsed, rejected = _parse(rows)
    people = _people(session, {r.il_number for _, r in parsed})
    keys = {legacy_key(people[r.il_number], r.document_type, r.issued_on) for _, r in parsed if r.il_number in people}
    on_file = _on_file(session, keys)
    out = BatchOut()
    events: list[Event] = []
    for line, row in parsed:
        person_id = people.get(row.il_number)
        problem = UNKNOWN_PERSON if person_id is None else _problem(types, row, today)
        if problem:
            rejected.append(RejectedRow(line=line, reason=problem))
            continue
        key = legacy_key(person_id, row.document_type, row.issued_on)
        document = on_file.get(key)
        if document is None:
            document = Document(
                id=uuid.uuid4(), person_id=person_id, document_type=row.document_type, classification_code=None,
                file_name=LEGACY_FILE_NAME, size=0, content_type=None, sha256=None, object_key=None,
                uploaded_at=at, uploaded_by=actor.account_id, reviewed_by=None, source="import", legacy_key=key)
            _apply(document, row, at, today)
            session.add(document)
            on_file[key] = document  # the same paper again further down the file is compared with this
            out.created += 1
            events += _events(types, document, None, at, today)
        elif _same(document, row, today):
            out.unchanged += 1
        elif document.reviewed_by is not None:
            rejected.append(RejectedRow(line=line, reason=DECIDED_IN_HUB))
        else:
            was = status_as_of(document, today)
            _apply(document, row, at, today)
            out.updated += 1
            events += _events(types, document, was, at, today)
    session.flush()
    out.rejected = sorted(rejected, key=lambda r: r.line)
    audit.record(session, actor, "import.documents", "import", None, rows=len(rows), created=out.created,
                 updated=out.updated, unchanged=out.unchanged, rejected=len(rejected))
    return out, events


def import_rows(session: Session, types: DocumentTypes, kind: str, rows, actor, today: date,
                at: datetime) -> tuple[BatchOut, list[Event]]:
    if kind != KIND:
        raise ValidationFailed(f"The documents service does not import {kind!r}.")
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise ValidationFailed(f"Send up to {MAX_ROWS} rows as a list.")
    return documents(session, types, rows, actor, today, at)
