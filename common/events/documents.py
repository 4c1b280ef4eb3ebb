"""Facts published by the documents service (the documents issue fills them)."""
from __future__ import annotations

import uuid
from datetime import date, datetime
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
    # the day the document was issued, as staff read it off the document: an approved document
    # counts from then (readers fall back to reviewed_on)
    issued_on: date | None = None
    reviewed_at: datetime | None = None   # the instant of the decision (UTC)
    imported: bool = False   # a paper on file in the legacy system (issue 11): no message to the person
    document_label: str | None = None     # e.g. "DOT Medical Examiner's Certificate", for messages


class DocumentExpired(DocumentsEvent):
    event_type = "document_expired"
    document_id: uuid.UUID
    person_id: uuid.UUID
    document_type: str
    expired_on: date
    document_label: str | None = None


# --- Contact Us cases ---------------------------------------------------------------------------
# A case from someone with no Portal (an anonymous sender, an unknown From address) can only be
# answered at the address they gave, so these two events carry it; like
# accounts.contact_details_changed, only the notifications service subscribes to them
# (tests/contracts/test_topology.py).

class CaseOpened(DocumentsEvent):
    event_type = "case_opened"
    case_id: uuid.UUID
    reference: str                     # "CS-2026-000123", shown to the sender
    subject: str
    via: Literal["web", "email"] = "web"   # the Contact Us page or the documents mailbox
    person_id: uuid.UUID | None = None  # the sender's person, when known
    name: str | None = None             # an anonymous sender's name, for the greeting
    email: str | None = None            # an anonymous sender's address (None for a person)
    acknowledge: bool = True            # False for automatic mail: nothing is sent back


class CaseReplied(DocumentsEvent):
    event_type = "case_replied"
    case_id: uuid.UUID
    reference: str
    subject: str                        # the case's subject
    body: str                           # what staff wrote
    person_id: uuid.UUID | None = None  # answered in their Message Center (and by e-mail)
    name: str | None = None
    email: str | None = None            # an anonymous sender's address (None for a person)
