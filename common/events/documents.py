"""Facts published by the documents service (the documents issue fills them)."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

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
    # the outcome, a closed set so every reader agrees on it (the staff command is approve/reject)
    decision: Literal["approved", "rejected"]
    reason: str | None = None          # why it was rejected, shown to the person
    expires_on: date | None = None     # an approved document is valid through this day
    # the business day (HUB_TIMEZONE) the decision took effect; readers fall back to occurred_at
    reviewed_on: date | None = None


class DocumentExpired(DocumentsEvent):
    event_type = "document_expired"
    document_id: uuid.UUID
    person_id: uuid.UUID
    document_type: str
    expired_on: date
