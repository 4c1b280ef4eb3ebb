"""Contact Us cases: plain functions over a session (and the bucket, for the files).

Each function that changes a case returns `(result, [events])`; the entrypoint publishes and
commits. Every change is audited in the same transaction. Files arrive already checked and
staged under incoming/ (by the gateway, or by documents.inbound_mail); opening a case adopts
them under cases/<case id>/, so a case that was never recorded leaves only staged objects,
which the orphan sweeper removes.
"""
from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa
import yaml
from nameko.extensions import DependencyProvider
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.orm import Session

from common import audit
from common.audit import as_actor
from common.clock import now, today
from common.contracts.cases import (
    STATUS_LABELS,
    AttachIn,
    CaseAttachmentOut,
    CaseFilters,
    CaseOut,
    CaseReplyOut,
    LinkIn,
    OpenCaseIn,
    OpenedCaseDetailOut,
    ReplyIn,
    StaffCaseOut,
    SubtopicOut,
    TopicOut,
    TopicsOut,
)
from common.contracts.documents import RegisterUploadIn
from common.errors import Conflict, NotFound, ValidationFailed
from common.events.documents import CaseOpened, CaseReplied
from documents import domain
from documents.cases_models import Case, CaseAttachment, CaseNumber, CaseReply
from documents.models import Document, Owner

TOPICS_FILE = Path(__file__).resolve().parent / "cases_topics.yml"
CASE_PREFIX = "cases/"


# --- topics as data -----------------------------------------------------------------------------

class TopicsError(ValueError):
    """cases_topics.yml does not validate; the service refuses to start."""


class _Subtopic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    label: str = Field(min_length=1, max_length=120)
    mailbox: bool = False


class _Topic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    label: str = Field(min_length=1, max_length=120)
    subtopics: tuple[_Subtopic, ...] = Field(min_length=1)

    @field_validator("subtopics")
    @classmethod
    def codes_are_unique(cls, value):
        codes = [s.code for s in value]
        if len(codes) != len(set(codes)):
            raise ValueError("two subtopics share a code")
        return value


class Topics(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    topics: tuple[_Topic, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def one_mailbox_and_unique_codes(self):
        codes = [t.code for t in self.topics]
        if len(codes) != len(set(codes)):
            raise ValueError("two topics share a code")
        if len(self.mailbox_pairs()) != 1:
            raise ValueError("exactly one subtopic is marked `mailbox: true` (where mailed documents go)")
        return self

    def mailbox_pairs(self) -> list[tuple[str, str]]:
        return [(t.code, s.code) for t in self.topics for s in t.subtopics if s.mailbox]

    @property
    def mailbox(self) -> tuple[str, str]:
        return self.mailbox_pairs()[0]

    def labels(self, topic: str, subtopic: str) -> tuple[str, str] | None:
        for t in self.topics:
            if t.code == topic:
                for s in t.subtopics:
                    if s.code == subtopic:
                        return t.label, s.label
        return None

    def out(self) -> TopicsOut:
        return TopicsOut(topics=[TopicOut(code=t.code, label=t.label, subtopics=[
            SubtopicOut(code=s.code, label=s.label) for s in t.subtopics]) for t in self.topics])


def load_topics(path: Path = TOPICS_FILE) -> Topics:
    try:
        raw = yaml.safe_load(Path(path).read_text())
        return Topics.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise TopicsError(f"{Path(path).name}: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise TopicsError(f"{Path(path).name}: {problems}") from None


class CaseTopics(DependencyProvider):
    """The topics, read and checked once when the service starts (a bad file stops it)."""

    def setup(self):
        self.topics = load_topics()

    def get_dependency(self, worker_ctx):
        return self.topics


# --- shapes -------------------------------------------------------------------------------------

def _labels(topics: Topics, case: Case) -> tuple[str, str]:
    # a topic retired from the file after the case was opened still shows something readable
    return topics.labels(case.topic, case.subtopic) or (case.topic, case.subtopic)


def _case_fields(session: Session, topics: Topics, case: Case) -> dict:
    topic_label, subtopic_label = _labels(topics, case)
    attachments = session.scalars(sa.select(CaseAttachment).where(CaseAttachment.case_id == case.id)
                                  .order_by(CaseAttachment.created_at, CaseAttachment.file_name)).all()
    replies = session.scalars(sa.select(CaseReply).where(CaseReply.case_id == case.id)
                              .order_by(CaseReply.created_at)).all()
    document_types = {}
    document_ids = [a.document_id for a in attachments if a.document_id]
    if document_ids:
        document_types = dict(session.execute(
            sa.select(Document.id, Document.document_type).where(Document.id.in_(document_ids))).all())
    return dict(
        id=case.id, reference=case.reference, status=case.status, status_label=STATUS_LABELS[case.status],
        topic=case.topic, topic_label=topic_label, subtopic=case.subtopic, subtopic_label=subtopic_label,
        subject=case.subject, description=case.description, source=case.source, person_id=case.person_id,
        needs_person_match=case.needs_person_match, created_at=case.created_at, updated_at=case.updated_at,
        closed_at=case.closed_at,
        attachments=[CaseAttachmentOut(id=a.id, file_name=a.file_name, size=a.size, content_type=a.content_type,
                                       status=a.status, reason=a.reason, document_id=a.document_id,
                                       document_type=document_types.get(a.document_id))
                     for a in attachments],
        replies=[CaseReplyOut(id=r.id, body=r.body, created_at=r.created_at) for r in replies])


def case_out(session: Session, topics: Topics, case: Case) -> CaseOut:
    return CaseOut(**_case_fields(session, topics, case))


def staff_case_out(session: Session, topics: Topics, case: Case) -> StaffCaseOut:
    owner = session.get(Owner, case.person_id) if case.person_id else None
    return StaffCaseOut(**_case_fields(session, topics, case), sender_name=case.sender_name,
                        sender_email=case.sender_email, assigned_to=case.assigned_to,
                        il_number=owner.il_number if owner else None,
                        first_name=owner.first_name if owner else None,
                        last_name=owner.last_name if owner else None)


# --- opening a case -----------------------------------------------------------------------------

def next_reference(session: Session) -> str:
    number = CaseNumber(created_at=now())
    session.add(number)
    session.flush()  # the database hands out the number, so two replicas never share one
    return f"CS-{today().year}-{number.number:06d}"


def adopt(storage, staging_key: str, key: str):
    """Move a staged object to its place in the bucket (copy and delete where the backend has
    no move)."""
    if hasattr(storage, "move"):
        return storage.move(staging_key, key)
    stored = storage.stat(staging_key)
    storage.put(key, storage.get(staging_key), stored.content_type)
    storage.delete(staging_key)
    return stored


def open_case(session: Session, storage, topics: Topics, data: OpenCaseIn, actor
              ) -> tuple[OpenedCaseDetailOut, list]:
    labels = topics.labels(data.topic, data.subtopic)
    if labels is None:
        raise ValidationFailed("Choose a topic and a subtopic from the lists.",
                               {"fields": {"subtopic": "Choose a subtopic of the topic you picked."}})
    person_id = data.person_id
    if person_id is not None and session.get(Owner, person_id) is None and data.source == "email":
        person_id = None  # an address accounts knows but this service has not heard of yet
    stamp = now()
    case = Case(id=uuid.uuid4(), reference=next_reference(session), status="open", topic=data.topic,
                subtopic=data.subtopic, subject=data.subject, description=data.description,
                source=data.source, person_id=person_id,
                sender_name=data.name if person_id is None else None,
                sender_email=str(data.email) if person_id is None and data.email else None,
                needs_person_match=person_id is None and (data.source == "email" or bool(data.attachments)),
                created_at=stamp, updated_at=stamp)
    session.add(case)
    for staged in data.attachments:
        attachment_id = uuid.uuid4()
        key = f"{CASE_PREFIX}{case.id}/{attachment_id}"
        adopt(storage, staged.staging_key, key)
        session.add(CaseAttachment(id=attachment_id, case_id=case.id, file_name=staged.file_name,
                                   size=staged.size, content_type=staged.content_type, sha256=staged.sha256,
                                   object_key=key, status="stored", created_at=stamp))
    for refused in data.refused:
        session.add(CaseAttachment(id=uuid.uuid4(), case_id=case.id, file_name=refused.file_name,
                                   size=refused.size, status="refused", reason=refused.reason, created_at=stamp))
    audit.record(session, actor, "case.opened", "case", case.id, reference=case.reference,
                 source=data.source, person_id=person_id, attachments=len(data.attachments),
                 refused=len(data.refused))
    event = CaseOpened(case_id=case.id, reference=case.reference, subject=case.subject, via=case.source,
                       person_id=person_id, name=case.sender_name, email=case.sender_email,
                       acknowledge=data.acknowledge)
    return OpenedCaseDetailOut(reference=case.reference, case_id=case.id, attachments=len(data.attachments),
                               refused=len(data.refused)), [event]


# --- reading ------------------------------------------------------------------------------------

def my_cases(session: Session, topics: Topics, person_id: uuid.UUID, limit: int = 100) -> list[CaseOut]:
    rows = session.scalars(sa.select(Case).where(Case.person_id == person_id)
                           .order_by(Case.created_at.desc()).limit(limit)).all()
    return [case_out(session, topics, case) for case in rows]


def list_cases(session: Session, topics: Topics, filters: CaseFilters, staff_account_id=None
               ) -> list[StaffCaseOut]:
    query = sa.select(Case)
    if filters.status == "active":
        query = query.where(Case.status != "closed")
    elif filters.status != "all":
        query = query.where(Case.status == filters.status)
    if filters.needs_match:
        query = query.where(Case.needs_person_match.is_(True))
    if filters.assigned_to_me:
        query = query.where(Case.assigned_to == staff_account_id)
    # oldest first: the queue is worked in the order people asked
    rows = session.scalars(query.order_by(Case.created_at, Case.reference).limit(filters.limit)).all()
    return [staff_case_out(session, topics, case) for case in rows]


def get_case(session: Session, case_id: uuid.UUID) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("No such case.")
    return case


def attachment_of(session: Session, case_id: uuid.UUID, attachment_id: uuid.UUID) -> CaseAttachment:
    attachment = session.get(CaseAttachment, attachment_id)
    if attachment is None or attachment.case_id != case_id:
        raise NotFound("No such file on this case.")
    return attachment


# --- staff actions ------------------------------------------------------------------------------

def _open(session: Session, case_id: uuid.UUID) -> Case:
    case = get_case(session, case_id)
    if case.status == "closed":
        raise Conflict(f"Case {case.reference} is closed.")
    return case


def assign(session: Session, case_id: uuid.UUID, actor) -> tuple[Case, list]:
    """To the staff member asking: "I'll take it"."""
    case = _open(session, case_id)
    account_id = as_actor(actor).account_id
    if account_id is None:
        raise ValidationFailed("Only a staff login can take a case.")
    case.assigned_to = account_id
    if case.status == "open":
        case.status = "assigned"
    case.updated_at = now()
    audit.record(session, actor, "case.assigned", "case", case.id, reference=case.reference,
                 assigned_to=account_id)
    return case, []


def reply(session: Session, case_id: uuid.UUID, data: ReplyIn, actor) -> tuple[Case, list]:
    case = _open(session, case_id)
    if case.person_id is None and not case.sender_email:
        raise Conflict("This case has no one to answer: link it to a person first.")
    stamp = now()
    answer = CaseReply(id=uuid.uuid4(), case_id=case.id, body=data.body,
                       author_account_id=as_actor(actor).account_id, created_at=stamp)
    session.add(answer)
    case.status, case.updated_at = "answered", stamp
    if case.assigned_to is None:
        case.assigned_to = as_actor(actor).account_id
    audit.record(session, actor, "case.replied", "case", case.id, reference=case.reference, reply_id=answer.id)
    event = CaseReplied(case_id=case.id, reference=case.reference, subject=case.subject, body=data.body,
                        person_id=case.person_id,
                        name=case.sender_name if case.person_id is None else None,
                        email=case.sender_email if case.person_id is None else None)
    return case, [event]


def link(session: Session, case_id: uuid.UUID, data: LinkIn, actor) -> tuple[Case, list]:
    """An anonymous (or mailed) case belongs to this person: it shows in their Portal from now
    on and replies go to their Message Center."""
    case = _open(session, case_id)
    if session.get(Owner, data.person_id) is None:
        raise NotFound("No such person.")
    previous = case.person_id
    case.person_id, case.needs_person_match, case.updated_at = data.person_id, False, now()
    audit.record(session, actor, "case.linked", "case", case.id, reference=case.reference,
                 person_id=data.person_id, previous_person_id=previous)
    return case, []


def close(session: Session, case_id: uuid.UUID, actor) -> tuple[Case, list]:
    case = _open(session, case_id)
    stamp = now()
    case.status, case.closed_at, case.updated_at = "closed", stamp, stamp
    audit.record(session, actor, "case.closed", "case", case.id, reference=case.reference)
    return case, []


def attach(session: Session, storage, types, case_id: uuid.UUID, data: AttachIn, actor
           ) -> tuple[tuple[Case, uuid.UUID, bool], list]:
    """File a case's attachment as a person's required document of `document_type`: it enters
    the review queue (pending_review) like an upload from the Portal, with source "contact" or
    "email". The same bytes already on file for the person are answered with that document."""
    case = _open(session, case_id)
    attachment = attachment_of(session, case.id, data.attachment_id)
    if attachment.status != "stored" or not attachment.object_key:
        raise Conflict(f"{attachment.file_name} was refused when it arrived, so it cannot be filed.")
    person_id = data.person_id or case.person_id
    if person_id is None:
        raise ValidationFailed("Say whose document this is: link the case to a person first.",
                               {"fields": {"person_id": "Choose the person this document belongs to."}})
    if session.get(Owner, person_id) is None:
        raise NotFound("No such person.")
    domain.check_document_type(types, data.document_type)
    if attachment.document_id is not None:
        raise Conflict(f"{attachment.file_name} is filed already.")
    uploaded, events = register_case_file(session, storage, types, case, attachment, person_id, data, actor)
    attachment.document_id = uploaded.document.id
    case.updated_at = now()
    audit.record(session, actor, "case.file_attached", "case", case.id, reference=case.reference,
                 attachment_id=attachment.id, document_id=uploaded.document.id, person_id=person_id,
                 document_type=data.document_type, created=uploaded.created)
    return (case, uploaded.document.id, uploaded.created), events


def register_case_file(session: Session, storage, types, case: Case, attachment: CaseAttachment,
                       person_id: uuid.UUID, data: AttachIn, actor):
    """Through the documents core's own upload path (documents.domain.register_upload): the
    case's file is copied to a staging key like any upload and adopted from there. The case keeps
    its own copy, so it still shows what was sent whatever happens to the document later."""
    staging_key = f"incoming/case-{uuid.uuid4().hex}"
    storage.put(staging_key, storage.get(attachment.object_key), attachment.content_type)
    registered = RegisterUploadIn(
        staging_key=staging_key, person_id=person_id, document_type=data.document_type,
        classification_code=data.classification_code, file_name=attachment.file_name, size=attachment.size,
        content_type=attachment.content_type, sha256=attachment.sha256,
        source="email" if case.source == "email" else "contact")
    uploaded, events = domain.register_upload(session, types, registered, as_actor(actor), now(), today())
    if uploaded.created:
        adopt(storage, staging_key, session.get(Document, uploaded.document.id).object_key)
    else:
        storage.delete(staging_key)
    return uploaded, events


def case_object_keys(session: Session, keys) -> set[str]:
    """Which of `keys` belong to a case attachment (for the orphan sweeper: these have a row)."""
    keys = list(keys)
    if not keys:
        return set()
    return set(session.scalars(sa.select(CaseAttachment.object_key).where(CaseAttachment.object_key.in_(keys))))


def file_for_download(session: Session, case_id: uuid.UUID, attachment_id: uuid.UUID, storage, actor):
    """Where a case's stored file is, for staff to open (audited like any staff download)."""
    from datetime import timedelta

    from common.contracts.documents import DownloadOut

    attachment = attachment_of(session, case_id, attachment_id)
    if attachment.status != "stored" or not attachment.object_key:
        raise NotFound("That file was refused when it arrived: it was never stored.")
    audit.record(session, actor, "case.file_downloaded", "case", case_id, attachment_id=attachment.id)
    return DownloadOut(key=attachment.object_key, file_name=attachment.file_name,
                       content_type=attachment.content_type or "application/octet-stream", size=attachment.size,
                       presigned_url=storage.presigned_get_url(attachment.object_key, timedelta(minutes=5)))
