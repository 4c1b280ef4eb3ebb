"""Documents rules: plain functions over a session. Each write returns `(result, [events])`; the
entrypoint publishes them and commits. The bytes are the entrypoint's business (storage): here a
document is its metadata, its review and its expiry.

A document's status as of a day: what staff decided, except that an approved document whose
expiry date has passed is expired (valid through `expires_on`, expired from the day after), on
every read and for any date, whether or not the daily sweep has made it a fact yet.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.audit import Actor
from common.authz import Principal
from common.contracts.documents import (
    DocumentOut,
    DocumentsOut,
    DownloadOut,
    QueuedDocumentOut,
    RegisterUploadIn,
    ReviewIn,
    ReviewQueueFiltersIn,
    ReviewQueueOut,
    UploadedOut,
)
from common.errors import Conflict, NotFound, ValidationFailed
from common.events.documents import DocumentExpired, DocumentReviewed, DocumentUploaded
from common.events.rosters import ApplicationStarted
from documents.document_types import DocumentTypes
from documents.models import Document, Owner, OwnerApplication

ALREADY_REVIEWED = "Someone else already reviewed this document."
NO_SCAN = "No scan of this document was imported."
EXPIRY_BATCH = 500


def object_key_for(person_id: uuid.UUID, document_id: uuid.UUID) -> str:
    return f"documents/{person_id}/{document_id}"


def status_as_of(document: Document, day: date) -> str:
    if document.status == "approved" and document.expires_on is not None and document.expires_on < day:
        return "expired"
    return document.status


def document_out(document: Document, types: DocumentTypes, day: date, shape=DocumentOut, **extra):
    return shape(id=document.id, person_id=document.person_id, document_type=document.document_type,
                 label=types.label(document.document_type), status=status_as_of(document, day),
                 reason=document.reason, issued_on=document.issued_on, expires_on=document.expires_on,
                 file_name=document.file_name, size=document.size, content_type=document.content_type,
                 uploaded_at=document.uploaded_at, reviewed_at=document.reviewed_at,
                 classification_code=document.classification_code, source=document.source,
                 has_scan=document.has_scan, **extra)


def _may_see(viewer: Principal, document: Document) -> bool:
    return viewer.is_staff or (viewer.person_id is not None and viewer.person_id == document.person_id)


def visible_document(session: Session, document_id: uuid.UUID, viewer: Principal) -> Document:
    """The document if `viewer` may see it; someone else's answers exactly like a missing one."""
    document = session.get(Document, document_id)
    if document is None or not _may_see(viewer, document):
        raise NotFound("No such document.")
    return document


# --- uploads ------------------------------------------------------------------------------------

def same_bytes_on_file(session: Session, person_id: uuid.UUID, sha256: str) -> Document | None:
    return session.scalar(sa.select(Document).where(Document.person_id == person_id,
                                                    Document.sha256 == sha256))


def check_document_type(types: DocumentTypes, code: str) -> None:
    if code not in types:
        raise ValidationFailed(f"{code!r} is not a document type the Hub accepts.",
                               {"fields": {"document_type": f"Unknown document type {code!r}"}})


def register_upload(session: Session, types: DocumentTypes, data: RegisterUploadIn, actor: Actor,
                    at: datetime, day: date) -> tuple[UploadedOut, list[DocumentUploaded]]:
    """Record a stored upload as pending review, or answer the person's document holding the
    same bytes (`created=False`: the caller then drops the staged copy). The caller moves the
    bytes to `object_key_for(...)` of a new document before committing."""
    check_document_type(types, data.document_type)
    existing = same_bytes_on_file(session, data.person_id, data.sha256)
    if existing is not None:
        return UploadedOut(document=document_out(existing, types, day), created=False), []
    document = Document(
        id=uuid.uuid4(), person_id=data.person_id, document_type=data.document_type,
        classification_code=data.classification_code or None, file_name=data.file_name, size=data.size,
        content_type=data.content_type, sha256=data.sha256, status="pending_review",
        uploaded_at=at, uploaded_by=actor.account_id, source=data.source)
    document.object_key = object_key_for(document.person_id, document.id)
    session.add(document)
    audit.record(session, actor, "document.uploaded", "document", document.id, person_id=document.person_id,
                 document_type=document.document_type, size=document.size, sha256=document.sha256,
                 source=document.source)
    session.flush()
    event = DocumentUploaded(document_id=document.id, person_id=document.person_id,
                             document_type=document.document_type)
    return UploadedOut(document=document_out(document, types, day), created=True), [event]


# --- reads --------------------------------------------------------------------------------------

def list_documents(session: Session, types: DocumentTypes, person_id: uuid.UUID, viewer: Principal,
                   day: date) -> DocumentsOut:
    if not (viewer.is_staff or viewer.person_id == person_id):
        raise NotFound("No such person.")
    rows = session.scalars(sa.select(Document).where(Document.person_id == person_id)
                           .order_by(Document.uploaded_at.desc(), Document.id))
    return DocumentsOut(documents=[document_out(d, types, day) for d in rows])


def get_document(session: Session, types: DocumentTypes, document_id: uuid.UUID, viewer: Principal,
                 day: date) -> DocumentOut:
    return document_out(visible_document(session, document_id, viewer), types, day)


def document_for_download(session: Session, document_id: uuid.UUID, viewer: Principal) -> DownloadOut:
    """Where the bytes are, for the owner or staff; a staff read of someone's file is audited
    (the caller commits). The caller adds the presigned URL on S3. A paper imported from the
    legacy system has no bytes: "not found", with the reason."""
    document = visible_document(session, document_id, viewer)
    if not document.has_scan:
        raise NotFound(NO_SCAN)
    if viewer.person_id != document.person_id or viewer.on_behalf_of is not None:
        audit.record(session, viewer.actor(), "document.downloaded", "document", document.id,
                     person_id=document.person_id)
    return DownloadOut(key=document.object_key, file_name=document.file_name,
                       content_type=document.content_type, size=document.size)


def _status_filter(status: str, day: date):
    if status == "approved":
        return sa.and_(Document.status == "approved",
                       sa.or_(Document.expires_on.is_(None), Document.expires_on >= day))
    if status == "expired":
        return sa.or_(Document.status == "expired",
                      sa.and_(Document.status == "approved", Document.expires_on < day))
    return Document.status == status


def review_queue(session: Session, types: DocumentTypes, filters: ReviewQueueFiltersIn,
                 day: date) -> ReviewQueueOut:
    """Staff's queue, oldest first, with the person's name and IL number (from the projection)."""
    query = (sa.select(Document, Owner).outerjoin(Owner, Owner.person_id == Document.person_id)
             .order_by(Document.uploaded_at, Document.id).limit(filters.limit)
             # decided in the legacy system, imported without a scan: nothing to review here
             .where(sa.not_(sa.and_(Document.source == "import", Document.reviewed_by.is_(None),
                                    Document.status != "pending_review"))))
    if filters.status != "all":
        query = query.where(_status_filter(filters.status, day))
    if filters.type:
        query = query.where(Document.document_type == filters.type)
    if filters.local:
        query = query.where(sa.exists().where(OwnerApplication.person_id == Document.person_id,
                                              OwnerApplication.local == filters.local))
    if filters.classification:
        applied = sa.exists().where(OwnerApplication.person_id == Document.person_id,
                                    OwnerApplication.classification_code == filters.classification)
        # a document sent for that classification, or sent for none by someone who applied for it
        query = query.where(sa.or_(Document.classification_code == filters.classification,
                                   sa.and_(Document.classification_code.is_(None), applied)))
    out = []
    for document, owner in session.execute(query):
        out.append(document_out(document, types, day, QueuedDocumentOut,
                                il_number=owner.il_number if owner else None,
                                first_name=owner.first_name if owner else None,
                                last_name=owner.last_name if owner else None))
    return ReviewQueueOut(documents=out)


# --- review -------------------------------------------------------------------------------------

def review(session: Session, types: DocumentTypes, document_id: uuid.UUID, data: ReviewIn, actor: Actor,
           at: datetime, day: date) -> tuple[DocumentOut, list[DocumentReviewed]]:
    """Approve (with the expiry date when the type expires) or reject (with a reason) a document
    waiting for review. Only a pending document can be decided, by a conditional UPDATE, so of
    two reviewers deciding at once the second gets a Conflict instead of overwriting."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("No such document.")
    kind = types.get(document.document_type)
    label = types.label(document.document_type)
    approve = data.decision == "approve"
    if approve and kind is not None and kind.expires and data.expires_on is None:
        raise ValidationFailed(f"Enter the expiry date: a {label} expires.",
                               {"fields": {"expires_on": "Required to approve a document that expires"}})
    if document.status != "pending_review":
        raise Conflict(ALREADY_REVIEWED)
    values = {"status": "approved" if approve else "rejected", "reason": None if approve else data.reason,
              "issued_on": data.issued_on if approve else None,
              "expires_on": data.expires_on if approve else None,
              "reviewed_at": at, "reviewed_by": actor.account_id}
    decided = session.execute(
        sa.update(Document).where(Document.id == document_id, Document.status == "pending_review")
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if decided != 1:
        raise Conflict(ALREADY_REVIEWED)
    session.refresh(document)
    audit.record(session, actor, f"document.{values['status']}", "document", document.id,
                 person_id=document.person_id, document_type=document.document_type, reason=document.reason,
                 issued_on=document.issued_on, expires_on=document.expires_on)
    event = DocumentReviewed(document_id=document.id, person_id=document.person_id,
                             document_type=document.document_type, decision=values["status"],
                             reason=document.reason, issued_on=document.issued_on,
                             expires_on=document.expires_on, reviewed_on=day, reviewed_at=at,
                             document_label=label)
    return document_out(document, types, day), [event]


# --- expiry -------------------------------------------------------------------------------------

def expire_batch(session: Session, types: DocumentTypes, as_of: date, at: datetime, actor: Actor,
                 limit: int = EXPIRY_BATCH) -> tuple[int, list[DocumentExpired]]:
    """Up to `limit` approved documents whose expiry date is before `as_of` become expired, each
    announced once (documents.document_expired). The caller publishes, commits and calls again
    until nothing is left."""
    due = session.scalars(
        sa.select(Document).where(Document.status == "approved", Document.expires_on < as_of,
                                  Document.expired_event_sent_at.is_(None))
        .order_by(Document.expires_on, Document.id).limit(limit)).all()
    events = []
    for document in due:
        # conditional, so a staff sweep and the daily one running together announce it once
        taken = session.execute(
            sa.update(Document).where(Document.id == document.id, Document.status == "approved",
                                      Document.expired_event_sent_at.is_(None))
            .values(status="expired", expired_event_sent_at=at)
            .execution_options(synchronize_session=False)).rowcount
        if taken != 1:
            continue
        expired_on = document.expires_on + timedelta(days=1)
        audit.record(session, actor, "document.expired", "document", document.id, person_id=document.person_id,
                     document_type=document.document_type, expired_on=expired_on)
        events.append(DocumentExpired(document_id=document.id, person_id=document.person_id,
                                      document_type=document.document_type, expired_on=expired_on,
                                      document_label=types.label(document.document_type)))
    for document in due:
        session.expire(document)
    return len(events), events


# --- the person projection ----------------------------------------------------------------------

def record_application(session: Session, event: ApplicationStarted) -> None:
    """The classification and local a person applied for (staff filter the queue by them)."""
    row = session.get(OwnerApplication, (event.person_id, event.classification_code))
    if row is None:
        session.add(OwnerApplication(person_id=event.person_id, classification_code=event.classification_code,
                                     local=event.local))
    elif event.local:
        row.local = event.local
