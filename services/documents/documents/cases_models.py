"""Contact Us cases (seed 000, options 2 and 3): a question with its files, from a person, an
anonymous sender or the documents mailbox, and what staff did with it. On the documents
service's Base: the files live in the same bucket as documents."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime
from documents.models import Base


class CaseNumber(Base):
    """Hands out reference numbers: one row per case, so replicas never pick the same number."""
    __tablename__ = "case_numbers"
    number: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (sa.Index("ix_cases_status_created_at", "status", "created_at"),)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(30), unique=True)   # "CS-2026-000123"
    status: Mapped[str] = mapped_column(sa.String(20))   # open | assigned | answered | closed
    topic: Mapped[str] = mapped_column(sa.String(60))
    subtopic: Mapped[str] = mapped_column(sa.String(60))
    subject: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(10))   # web | email
    person_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    # how to answer someone with no Portal; kept on the case only, never sent to other services
    # except in the events only notifications receives
    sender_name: Mapped[str | None] = mapped_column(sa.String(200))
    sender_email: Mapped[str | None] = mapped_column(sa.String(254))
    needs_person_match: Mapped[bool] = mapped_column(sa.Boolean, default=False, index=True)
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)   # a staff account
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseAttachment(Base):
    """A file sent with a case: stored (under cases/<case id>/) or refused, with the reason."""
    __tablename__ = "case_attachments"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    file_name: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    object_key: Mapped[str | None] = mapped_column(sa.String(300), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10))   # stored | refused
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    document_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)   # once filed as a document
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseReply(Base):
    __tablename__ = "case_replies"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    author_account_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
