"""Facts published by the training service (the training issue fills them)."""
from __future__ import annotations

import uuid
from datetime import date

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


class CourseCompleted(TrainingEvent):
    event_type = "course_completed"
    person_id: uuid.UUID
    course_code: str
    completed_on: date
    expires_on: date | None = None


class CompletionExpired(TrainingEvent):
    event_type = "completion_expired"
    person_id: uuid.UUID
    course_code: str
    expired_on: date
