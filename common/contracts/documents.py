"""Shapes of the documents service's RPCs and of the API built on them (SPEC §6 and the
documents issue): pydantic only, shared by the service and the gateway."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from common.contracts.text import plain_text

DOCUMENT_STATUSES = ("pending_review", "approved", "rejected", "expired")
DocumentStatus = Literal["pending_review", "approved", "rejected", "expired"]
# Where a document came from: the Portal or the app, a Contact Us case, the documents mailbox,
# or staff attaching a file for someone; or the legacy import (a paper on file, no scan).
UploadSource = Literal["portal", "contact", "email", "staff"]
DocumentSource = Literal["portal", "contact", "email", "staff", "import"]
# The file types people may send, decided from the bytes (never the name or the client's word)
ALLOWED_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/heic", "image/heif")
# What staff pick from when they reject; they may also write their own reason
REJECT_REASONS = ("Document is illegible", "Name does not match", "Expired", "Wrong document type")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DocumentTypeOut(BaseModel):
    code: str                 # e.g. "dot_medical_certificate"
    label: str                # e.g. "DOT Medical Examiner's Certificate"
    expires: bool             # approval needs an expiry date
    checks: list[str] = []    # what staff check, e.g. "Name matches the person"
    description: str | None = None


class DocumentTypesOut(BaseModel):
    document_types: list[DocumentTypeOut]


class DocumentOut(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    document_type: str
    label: str
    status: DocumentStatus      # as of today: an approved document past its expiry is "expired"
    reason: str | None = None   # why it was rejected, shown to the person in red
    issued_on: date | None = None
    expires_on: date | None = None   # valid through this day
    file_name: str
    size: int
    content_type: str | None = None   # None with has_scan False
    uploaded_at: datetime
    reviewed_at: datetime | None = None
    classification_code: str | None = None
    source: DocumentSource = "portal"
    has_scan: bool = True       # False: a paper on file at Contract Services, nothing to download


class DocumentsOut(BaseModel):
    documents: list[DocumentOut]


class QueuedDocumentOut(DocumentOut):
    """A document in the staff review queue, with the person it belongs to."""
    il_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class ReviewQueueOut(BaseModel):
    documents: list[QueuedDocumentOut]


class RegisterUploadIn(Strict):
    """The gateway stored the bytes under `staging_key` (prefix "incoming/") while it checked
    them; the documents service adopts the object into its own place and records it."""
    staging_key: str = Field(pattern=r"^incoming/[A-Za-z0-9\-]{8,80}$")
    person_id: uuid.UUID
    document_type: str = Field(min_length=1, max_length=60)
    classification_code: str | None = Field(None, max_length=40)
    file_name: str = Field(min_length=1, max_length=255)
    size: int = Field(gt=0)
    content_type: Literal["application/pdf", "image/jpeg", "image/png", "image/heic", "image/heif"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    source: UploadSource = "portal"

    @field_validator("file_name", mode="before")
    @classmethod
    def name_is_plain(cls, value):
        return plain_text(value, "The file name")


class UploadedOut(BaseModel):
    document: DocumentOut
    created: bool               # False: the same bytes were on file already (answered, not stored twice)


class ReviewIn(Strict):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(None, max_length=500)
    issued_on: date | None = None
    expires_on: date | None = None   # required to approve a type that expires

    @field_validator("reason", mode="before")
    @classmethod
    def reason_is_plain(cls, value):
        return plain_text(value, "The reason")

    @model_validator(mode="after")
    def a_rejection_says_why(self):
        if self.decision == "reject" and not self.reason:
            raise ValueError("Say why the document is rejected: the person sees the reason.")
        if self.issued_on and self.expires_on and self.expires_on < self.issued_on:
            raise ValueError("The expiry date is before the issue date.")
        return self


class DownloadOut(BaseModel):
    """Where the bytes are, for the gateway to stream after the service said who may read them."""
    key: str
    file_name: str
    content_type: str
    size: int
    presigned_url: str | None = None   # S3 only: valid for at most 5 minutes


class ReviewQueueFiltersIn(Strict):
    """`review_queue` filters; empty strings (a query string's blanks) mean "any"."""
    status: DocumentStatus | Literal["all"] = "pending_review"
    type: str | None = Field(None, max_length=60)
    local: str | None = Field(None, max_length=20)
    classification: str | None = Field(None, max_length=40)
    limit: int = Field(200, ge=1, le=500)

    @field_validator("type", "local", "classification", mode="before")
    @classmethod
    def blank_is_any(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("status", mode="before")
    @classmethod
    def no_status_means_the_queue(cls, value):
        return "pending_review" if value is None or (isinstance(value, str) and not value.strip()) else value


class SweepOut(BaseModel):
    """What a documents sweep did: `expired` documents made expired as of `as_of`, or orphan
    objects `removed` from storage."""
    as_of: date | None = None
    expired: int = 0
    removed: int = 0
