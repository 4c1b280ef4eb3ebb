"""Facts published by the training service (the training issue fills them)."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from common.events import Event


class TrainingEvent(Event):
    source = "training"


class Enrolled(TrainingEvent):
    event_type = "enrolled"
    enrollment_id: uuid.UUID
    person_id: uuid.UUID
    course_code: str
    # questionnaire answers given when enrolling, e.g. {"supervisor": true} (HP1 or HP2)
    answers: dict[str, bool] = {}
    course_title: str | None = None
    status: str | None = None            # "enrolled", or "waitlisted" for a full session
    session_id: uuid.UUID | None = None
    starts_at: datetime | None = None    # of the in-person session
    location: str | None = None
    waitlist_position: int | None = None


class PromotedFromWaitlist(TrainingEvent):
    """A seat came free in a full session and the first person waiting now has it."""
    event_type = "promoted_from_waitlist"
    enrollment_id: uuid.UUID
    person_id: uuid.UUID
    course_code: str
    session_id: uuid.UUID
    starts_at: datetime
    location: str
    course_title: str | None = None


class CourseCompleted(TrainingEvent):
    event_type = "course_completed"
    person_id: uuid.UUID
    course_code: str
    completed_on: date
    expires_on: date | None = None
    course_title: str | None = None
    score: int | None = None
    completion_source: str | None = None   # online / in_person / staff / an employer's programme
    imported: bool = False   # history brought in by the legacy import: no message to the person


class CompletionExpired(TrainingEvent):
    event_type = "completion_expired"
    person_id: uuid.UUID
    course_code: str
    expired_on: date
    course_title: str | None = None
    completed_on: date | None = None
