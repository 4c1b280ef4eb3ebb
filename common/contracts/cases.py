"""Shapes of Contact Us cases (seed 000, options 2 and 3): the documents service's case RPCs and
the API built on them. Pydantic only, shared by the service, the inbound mail process and the
gateway."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from common.contracts.documents import ALLOWED_CONTENT_TYPES  # noqa: F401  (one list of file types)
from common.contracts.text import plain_text, visible_name

CASE_STATUSES = ("open", "assigned", "answered", "closed")
CaseStatus = Literal["open", "assigned", "answered", "closed"]
STATUS_LABELS = {"open": "New", "assigned": "Being worked", "answered": "Answered", "closed": "Closed"}
# "web": the Contact Us page or the API; "email": the documents mailbox (seed 000, option 3)
CaseSource = Literal["web", "email"]
MAX_FILES = 5
REFERENCE_PATTERN = r"^CS-\d{4}-\d{6,}$"

LowerEmail = Annotated[EmailStr, AfterValidator(str.lower)]
# Line breaks and tabs belong in a description; every other control or invisible character is
# refused like everywhere else (common.contracts.text).
_LAYOUT = str.maketrans("", "", "\n\r\t")


def plain_paragraphs(value, what: str = "This text"):
    if isinstance(value, str):
        plain_text(value.translate(_LAYOUT), what)
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- topics (services/documents/documents/cases_topics.yml) ----------------------------------

class SubtopicOut(BaseModel):
    code: str
    label: str


class TopicOut(BaseModel):
    code: str
    label: str
    subtopics: list[SubtopicOut]


class TopicsOut(BaseModel):
    topics: list[TopicOut]


# --- opening a case -----------------------------------------------------------------------------

class ContactIn(Strict):
    """What a sender writes on the Contact Us page or posts to POST /api/v1/contact. `name` and
    `email` are required when nobody is logged in. `website` is the honeypot: people never see
    it, so a value there means a bot."""
    topic: str = Field(min_length=1, max_length=60)
    subtopic: str = Field(min_length=1, max_length=60)
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    name: str | None = Field(None, max_length=200)
    email: LowerEmail | None = None
    website: str | None = Field(None, max_length=500)

    @field_validator("name", "email", "website", mode="before")
    @classmethod
    def blank_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("subject", mode="before")
    @classmethod
    def subject_is_plain(cls, value):
        return plain_text(value, "The subject")

    @field_validator("description", mode="before")
    @classmethod
    def description_is_plain(cls, value):
        return plain_paragraphs(value, "The description")

    @field_validator("name", mode="before")
    @classmethod
    def name_is_visible(cls, value):
        return visible_name(value) if value is not None else value

    def missing_sender(self) -> dict:
        """{field: message} for an anonymous sender who left out how to answer them."""
        problems = {}
        if not self.name:
            problems["name"] = "Enter your name so we know who is asking."
        if not self.email:
            problems["email"] = "Enter your e-mail address: we send the reference number and our answer there."
        return problems


class CaseAttachmentIn(Strict):
    """A file the gateway (or the inbound mail process) checked and staged under incoming/; the
    documents service adopts it into the case."""
    staging_key: str = Field(pattern=r"^incoming/[A-Za-z0-9\-]{8,80}$")
    file_name: str = Field(min_length=1, max_length=255)
    size: int = Field(gt=0)
    content_type: Literal["application/pdf", "image/jpeg", "image/png", "image/heic", "image/heif"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("file_name", mode="before")
    @classmethod
    def name_is_plain(cls, value):
        return plain_text(value, "The file name")


class RefusedAttachmentIn(Strict):
    """A file that arrived by e-mail and failed the checks: noted on the case, never dropped."""
    file_name: str = Field(min_length=1, max_length=255)
    reason: str = Field(min_length=1, max_length=300)
    size: int = Field(0, ge=0)


class OpenCaseIn(Strict):
    topic: str = Field(min_length=1, max_length=60)
    subtopic: str = Field(min_length=1, max_length=60)
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20000)
    source: CaseSource = "web"
    person_id: uuid.UUID | None = None    # the logged-in sender, or the owner of the From address
    name: str | None = Field(None, max_length=200)
    email: LowerEmail | None = None
    attachments: list[CaseAttachmentIn] = Field(default_factory=list, max_length=20)
    refused: list[RefusedAttachmentIn] = Field(default_factory=list, max_length=50)
    # False for automatic mail (bounces, auto-replies): no acknowledgement is sent back
    acknowledge: bool = True

    @field_validator("subject", mode="before")
    @classmethod
    def subject_is_plain(cls, value):
        return plain_text(value, "The subject")

    @field_validator("description", mode="before")
    @classmethod
    def description_is_plain(cls, value):
        return plain_paragraphs(value, "The description")

    @model_validator(mode="after")
    def someone_to_answer(self):
        if self.person_id is None and not self.email:
            raise ValueError("A case from someone who is not logged in needs an e-mail address.")
        return self


class OpenedCaseOut(BaseModel):
    reference: str


class OpenedCaseDetailOut(OpenedCaseOut):
    """The RPC's answer: the gateway returns only the reference."""
    case_id: uuid.UUID
    attachments: int
    refused: int


# --- reading cases ------------------------------------------------------------------------------

class CaseAttachmentOut(BaseModel):
    id: uuid.UUID
    file_name: str
    size: int
    content_type: str | None = None
    status: Literal["stored", "refused"]
    reason: str | None = None             # why a file was refused
    document_id: uuid.UUID | None = None  # set once staff attached it to a person as a document
    document_type: str | None = None


class CaseReplyOut(BaseModel):
    id: uuid.UUID
    body: str
    created_at: datetime
    author: Literal["staff"] = "staff"


class CaseOut(BaseModel):
    id: uuid.UUID
    reference: str
    status: CaseStatus
    status_label: str
    topic: str
    topic_label: str
    subtopic: str
    subtopic_label: str
    subject: str
    description: str
    source: CaseSource
    person_id: uuid.UUID | None = None
    needs_person_match: bool = False      # from an address or a sender not matched to anyone
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    attachments: list[CaseAttachmentOut] = []
    replies: list[CaseReplyOut] = []


class MyCasesOut(BaseModel):
    cases: list[CaseOut]


class StaffCaseOut(CaseOut):
    """A case as staff see it: who sent it and who works it."""
    sender_name: str | None = None
    sender_email: str | None = None
    il_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    assigned_to: uuid.UUID | None = None  # a staff account id


class StaffCasesOut(BaseModel):
    cases: list[StaffCaseOut]


class CaseFilters(Strict):
    status: Literal["open", "assigned", "answered", "closed", "active", "all"] = "active"
    needs_match: bool = False
    assigned_to_me: bool = False
    limit: int = Field(100, ge=1, le=500)


# --- staff actions ------------------------------------------------------------------------------

class ReplyIn(Strict):
    body: str = Field(min_length=1, max_length=10000)

    @field_validator("body", mode="before")
    @classmethod
    def body_is_plain(cls, value):
        return plain_paragraphs(value, "The reply")


class AttachIn(Strict):
    """File a case's attachment as one of a person's required documents: it enters the review
    queue with its type. `person_id` defaults to the case's person."""
    attachment_id: uuid.UUID
    document_type: str = Field(min_length=1, max_length=60)
    person_id: uuid.UUID | None = None
    classification_code: str | None = Field(None, max_length=40)


class LinkIn(Strict):
    person_id: uuid.UUID


class AttachedOut(BaseModel):
    case: StaffCaseOut
    document_id: uuid.UUID
