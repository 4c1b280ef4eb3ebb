from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.daily import DailyRunMixin
from common.db import UTCDateTime, make_base
from common.projections import PersonDirectoryMixin

Base = make_base()


class Person(PersonDirectoryMixin, Base):
    """Everyone the rosters know of; public search reads names and IL numbers from here."""
    __tablename__ = "people"
    # keyed blind index of the SSN (common.identity), to match payroll records; never the SSN
    ssn_index: Mapped[str | None] = mapped_column(sa.String(64))
    __table_args__ = (sa.UniqueConstraint("ssn_index", name="uq_people_ssn_index"),)


# public roster search: case-insensitive name prefixes (rosters.search; migration f5d3ee3c66ec)
sa.Index("ix_people_lower_last_name", sa.func.lower(Person.last_name))
sa.Index("ix_people_lower_first_name", sa.func.lower(Person.first_name))


class CatalogVersion(Base):
    """One version of one local's rules (a catalog file), in force from `effective_on`."""
    __tablename__ = "catalog_versions"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    local: Mapped[str] = mapped_column(sa.String(20), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    effective_on: Mapped[date] = mapped_column(sa.Date)
    document: Mapped[str] = mapped_column(sa.Text)       # the validated file, as JSON
    source: Mapped[str] = mapped_column(sa.String(200))  # the file it came from, or "staff"
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (sa.UniqueConstraint("local", "version"),)


class ClassificationRecord(Base):
    """A person's application for, and then membership of, one classification. The status
    columns cache the engine's answer, which holds from `status_as_of` until the day before
    `next_review_on`; reads recompute as of today."""
    __tablename__ = "classification_records"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.person_id"), index=True)
    classification_code: Mapped[str] = mapped_column(sa.String(40), index=True)
    local: Mapped[str] = mapped_column(sa.String(20), index=True)
    applied_on: Mapped[date] = mapped_column(sa.Date)
    placed_on: Mapped[date | None] = mapped_column(sa.Date)
    group_started_on: Mapped[date | None] = mapped_column(sa.Date)
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    closed_reason: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(40), index=True)
    status_as_of: Mapped[date] = mapped_column(sa.Date)
    anticipated_advancement_on: Mapped[date | None] = mapped_column(sa.Date)
    lapses_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the first day on which time alone (no new fact) may change the cached answer: the daily
    # sweep re-evaluates only records due by then (rosters.sweep); null: not known, evaluate.
    # Valid under `review_basis` (the catalog and reminder schedule it was worked out with).
    next_review_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    review_basis: Mapped[str | None] = mapped_column(sa.String(40))
    __table_args__ = (sa.UniqueConstraint("person_id", "classification_code"),)


class WorkDay(Base):
    """A day worked. Payroll records for an SSN nobody has yet are held (person_id null,
    ssn_index set) and attached when that person appears."""
    __tablename__ = "work_days"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("people.person_id"), index=True)
    held_ssn_index: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    held_last_name: Mapped[str | None] = mapped_column(sa.String(100))
    classification_code: Mapped[str] = mapped_column(sa.String(40))
    work_date: Mapped[date] = mapped_column(sa.Date)
    employer: Mapped[str] = mapped_column(sa.String(200))
    production: Mapped[str | None] = mapped_column(sa.String(200))
    hours: Mapped[float | None] = mapped_column(sa.Float)
    union_contract: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # payroll | ip_submitted | employer_proof | staff
    source: Mapped[str] = mapped_column(sa.String(20))
    verified: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    verified_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the business day it was verified: it counts toward requirements from then on, not before
    verified_on: Mapped[date | None] = mapped_column(sa.Date)
    rejected_reason: Mapped[str | None] = mapped_column(sa.String(300))
    proof_document_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    payroll_client_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # "<person id or held:ssn index>|<date>|<employer, lower case>|<classification>": the same
    # day reported twice is one day
    dedupe_key: Mapped[str] = mapped_column(sa.String(400), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (sa.Index("ix_work_days_person_class_date", "person_id", "classification_code", "work_date"),)


class Completion(Base):
    """A course completion, kept fresh from training events."""
    __tablename__ = "completions"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    course_code: Mapped[str] = mapped_column(sa.String(20))
    completed_on: Mapped[date] = mapped_column(sa.Date)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    __table_args__ = (sa.UniqueConstraint("person_id", "course_code", "completed_on"),)


class DocumentFact(Base):
    """A document's review outcome, kept fresh from documents events (no file, no contents)."""
    __tablename__ = "document_facts"
    document_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    document_type: Mapped[str] = mapped_column(sa.String(60))
    status: Mapped[str] = mapped_column(sa.String(20))   # approved | rejected | expired
    approved_on: Mapped[date | None] = mapped_column(sa.Date)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)


class Answer(Base):
    """Questionnaire answers (e.g. supervisor → HP2), from training enrollments, as dated facts:
    a changed answer is a new row, so the past keeps the answer then in force. `answered_on` is
    null for answers kept before answers were dated (in force from the start)."""
    __tablename__ = "questionnaire_answers"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    question: Mapped[str] = mapped_column(sa.String(40))
    answer: Mapped[bool] = mapped_column(sa.Boolean)
    answered_on: Mapped[date | None] = mapped_column(sa.Date)
    __table_args__ = (sa.UniqueConstraint("person_id", "question", "answered_on"),)


class Suspension(Base):
    """Staff took a person off the roster of one classification (a suspension or a withdrawal)
    from `starts_on` through `ends_on` (inclusive; null while in force). The days count as time
    off the roster: not compliant, and not toward advancement in grouping."""
    __tablename__ = "suspensions"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    classification_code: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(20))          # suspension | withdrawal
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(500))
    imposed_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    lifted_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeadlineNotice(Base):
    """A deadline warning already published (60/30/7 days before and on the day), so the daily
    sweep sends each one once."""
    __tablename__ = "deadline_notices"
    record_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("classification_records.id"), primary_key=True)
    requirement: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    due_on: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    days_before: Mapped[int] = mapped_column(sa.Integer, primary_key=True)


class SweepRun(DailyRunMixin, Base):
    """The daily sweep of one day: the replica that inserts the row runs it (common.daily)."""
    __tablename__ = "sweep_runs"


# --- extensions and removals (rosters.extensions, rosters.removals) ------------------------------

class Extension(Base):
    """A person asked for more time on one requirement's deadline; staff approve it (a new due
    date, `until`) or deny it. While approved the requirement is due on `until`, not before."""
    __tablename__ = "deadline_extensions"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    classification_code: Mapped[str] = mapped_column(sa.String(40))
    requirement: Mapped[str] = mapped_column(sa.String(200))      # the requirement's label
    circumstance: Mapped[str] = mapped_column(sa.String(40))
    original_due_on: Mapped[date] = mapped_column(sa.Date)
    requested_until: Mapped[date] = mapped_column(sa.Date)
    document_ids: Mapped[str] = mapped_column(sa.Text, default="")  # comma-separated ids
    requested_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)  # requested | approved | denied
    until: Mapped[date | None] = mapped_column(sa.Date)            # the approved new due date
    decided_on: Mapped[date | None] = mapped_column(sa.Date)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Removal(Base):
    """Staff remove a placed person from a classification's roster from `effective_on`. The
    person may protest within the configured days; while a protest is open the name stays on
    the roster, marked. `status`: pending (protest window open) | protested | removed | reversed."""
    __tablename__ = "removals"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    classification_code: Mapped[str] = mapped_column(sa.String(40))
    reason_code: Mapped[str] = mapped_column(sa.String(40))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    effective_on: Mapped[date] = mapped_column(sa.Date)
    protest_by: Mapped[date] = mapped_column(sa.Date)               # the last day to protest
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    protest_text: Mapped[str | None] = mapped_column(sa.String(2000))
    protested_on: Mapped[date | None] = mapped_column(sa.Date)
    decision: Mapped[str | None] = mapped_column(sa.String(20))     # upheld | reversed
    decision_reason: Mapped[str | None] = mapped_column(sa.String(500))
    decided_on: Mapped[date | None] = mapped_column(sa.Date)
    started_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EmploymentProof(Base):
    """One proof as submitted. `person_id` is null while it is held by `held_ssn_index`."""
    __tablename__ = "employment_proofs"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("people.person_id"), index=True)
    held_ssn_index: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    employer: Mapped[str] = mapped_column(sa.String(200))
    # the submitting login's organisation (an employer's), and the login itself
    organisation: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    classification_code: Mapped[str] = mapped_column(sa.String(40))
    first_day: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # staff looked at a held proof and set it aside (kept, no longer waiting): migration 5e1f0c7a9d42
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    dismissed_reason: Mapped[str | None] = mapped_column(sa.String(500))
