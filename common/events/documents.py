"""Facts published by the documents service (the documents issue fills them)."""
from __future__ import annotations

import uuid
from datetime import date

from common.events import Event


class DocumentsEvent(Event):
    source = "documents"


class DocumentUploaded(DocumentsEvent):
    event_type = "document_uploaded"
    document_id: uuid.UUID
    person_id: uuid.UUID
    document_type: str


class DocumentReviewed(DocumentsEvent):
    event_type = "document_reviewed"
    document_id: uuid.UUID
    person_id: uuid.UUID
    document_type: str
    decision: str
    reason: str | None = None
    expires_on: date | None = None


class DocumentExpired(DocumentsEvent):
    event_type = "document_expired"
    document_id: uuid.UUID
    person_id: uuid.UUID
    document_type: str
    expired_on: date
