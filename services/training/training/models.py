"""The training service: the Safety Pass course catalog, enrollments and completions.

The catalog itself is data (courses.yml); the database holds what people did with it, and a
projection of their classification records (from rosters.* events) that decides what they may
take, so no page asks the rosters service anything."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.daily import DailyRunMixin
from common.db import UTCDateTime, make_base
from common.projections import PersonDirectoryMixin

Base = make_base()


class Learner(PersonDirectoryMixin, Base):
    """A person who may enroll; transcripts are printed with this name and IL number."""
    __tablename__ = "learners"


class LearnerRecord(Base):
    """One of a person's classification records as rosters last announced it: its status and
    whether it is placed. Training Eligible (or placed) unlocks application courses; placed
    unlocks craft courses. `event_at` is when the last applied event happened, so an older
    event arriving late changes nothing."""
    __tablename__ = "learner_records"
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    classification_code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    local: Mapped[str | None] = mapped_column(sa.String(20))
    roster: Mapped[str | None] = mapped_column(sa.String(20))   # "IER" or "training_list"
    status: Mapped[str] = mapped_column(sa.String(40), default="")
    placed_on: Mapped[date | None] = mapped_column(sa.Date)
    closed: Mapped[bool] = mapped_column(sa.Boolean, default=False)   # advanced to the next group
    event_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CourseSession(Base):
    """An in-person session. `seats_taken` is claimed by a conditional UPDATE (never read and
    written back), so two people taking the last seat at once cannot both get it; `waitlist_next`
    numbers the waitlist in the order people joined it."""
    __tablename__ = "course_sessions"
    __table_args__ = (sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity",
                                         name="ck_course_sessions_seats"),)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    course_code: Mapped[str] = mapped_column(sa.String(40), index=True)
    location: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    capacity: Mapped[int] = mapped_column(sa.Integer)
    seats_taken: Mapped[int] = mapped_column(sa.Integer, default=0)
    waitlist_next: Mapped[int] = mapped_column(sa.Integer, default=0)
    cancelled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)


class Enrollment(Base):
    """A person taking a course: online (modules, then the quiz) or in a session (a seat, or a
    place on its waitlist)."""
    __tablename__ = "enrollments"
    __table_args__ = (sa.Index("ix_enrollments_person_course", "person_id", "course_code"),
                      sa.Index("ix_enrollments_session_status", "session_id", "status", "waitlist_seq"))
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    course_code: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20))  # enrolled | waitlisted | completed | cancelled | failed
    session_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("course_sessions.id"))
    waitlist_seq: Mapped[int | None] = mapped_column(sa.Integer)
    answers: Mapped[dict | None] = mapped_column(sa.JSON)   # the questionnaire's answers, as given
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_score: Mapped[int | None] = mapped_column(sa.Integer)
    attended: Mapped[bool | None] = mapped_column(sa.Boolean)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_on: Mapped[date | None] = mapped_column(sa.Date)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ModuleProgress(Base):
    """A module finished, saved as soon as it is (so a person can resume on another device)."""
    __tablename__ = "module_progress"
    enrollment_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enrollments.id"), primary_key=True)
    module_id: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuizAttempt(Base):
    __tablename__ = "quiz_attempts"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    enrollment_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enrollments.id"), index=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    score: Mapped[int] = mapped_column(sa.Integer)
    passed: Mapped[bool] = mapped_column(sa.Boolean)
    wrong: Mapped[list] = mapped_column(sa.JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Completion(Base):
    """A course completed: online (quiz passed), in person (attended) or recorded by staff.
    "Expired" is computed as of any date on every read; the daily sweep makes it a fact
    (`expired_event_sent_at`) and publishes training.completion_expired once."""
    __tablename__ = "completions"
    __table_args__ = (sa.Index("ix_completions_person_course", "person_id", "course_code"),
                      sa.Index("ix_completions_expiry", "expires_on", "expired_event_sent_at"))
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    course_code: Mapped[str] = mapped_column(sa.String(40))
    completed_on: Mapped[date] = mapped_column(sa.Date)
    expires_on: Mapped[date | None] = mapped_column(sa.Date)   # valid through this day
    score: Mapped[int | None] = mapped_column(sa.Integer)
    source: Mapped[str] = mapped_column(sa.String(80))
    evidence_document_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    expired_event_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CompletionSweepRun(DailyRunMixin, Base):
    """One row per business day the completion expiry sweep ran (common.daily)."""
    __tablename__ = "completion_sweep_runs"


from training import reports_models  # noqa: E402,F401
