"""The documents service: uploaded files, their review and expiry."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.daily import DailyRunMixin
from common.db import UTCDateTime, make_base
from common.projections import PersonDirectoryMixin

Base = make_base()


class Owner(PersonDirectoryMixin, Base):
    """A person who may own documents; the staff review queue shows this name and IL number."""
    __tablename__ = "owners"


class OwnerApplication(Base):
    """A classification a person applied for and its local, from rosters.application_started:
    staff filter the review queue by local and classification."""
    __tablename__ = "owner_applications"
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    classification_code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    local: Mapped[str | None] = mapped_column(sa.String(20), index=True)


class Document(Base):
    """A file a person sent (its bytes are in object storage under `object_key`) and its review.
    `status` is what was decided; "expired" is also computed as of any date on every read, and
    stored by the daily sweep, which publishes documents.document_expired once.

    A paper on file in the legacy system (source "import") is metadata only: no bytes, so no
    `object_key`, `sha256` or `content_type`; `legacy_key` finds it again on a re-import."""
    __tablename__ = "documents"
    __table_args__ = (
        # the same bytes sent twice by one person are one document
        sa.UniqueConstraint("person_id", "sha256", name="uq_documents_person_sha256"),
        # an imported paper: (person, type, issue date), so a re-import finds the same row
        sa.UniqueConstraint("legacy_key", name="uq_documents_legacy_key"),
        sa.Index("ix_documents_status_uploaded_at", "status", "uploaded_at"),
        sa.Index("ix_documents_status_expires_on", "status", "expires_on"),
    )
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    document_type: Mapped[str] = mapped_column(sa.String(60))
    classification_code: Mapped[str | None] = mapped_column(sa.String(40))
    file_name: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    object_key: Mapped[str | None] = mapped_column(sa.String(300), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20))   # pending_review | approved | rejected | expired
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    issued_on: Mapped[date | None] = mapped_column(sa.Date)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)   # valid through this day
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)   # the account; None: the system
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    source: Mapped[str] = mapped_column(sa.String(20), default="portal")   # portal | contact | email | staff | import
    expired_event_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    legacy_key: Mapped[str | None] = mapped_column(sa.String(200))

    @property
    def has_scan(self) -> bool:
        return self.object_key is not None


class ExpirySweepRun(DailyRunMixin, Base):
    """One row per business day the expiry sweep ran (common.daily)."""
    __tablename__ = "expiry_sweep_runs"


from documents import cases_models  # noqa: E402,F401
