"""Shapes of the training service's RPCs and of the API built on them (the training issue):
pydantic only, shared by the service and the gateway.

RPCs of the training service (the contract both sides build to; `viewer` is
gateway.auth.viewer(principal), `actor` gateway.auth.actor(principal)):
  list_courses() -> CoursesOut
  get_course(code) -> CourseDetailOut                       (upcoming sessions, seats left)
  my_training(person_id) -> MyTrainingOut                   (per course: may enroll, or why not)
  enroll(person_id, payload: EnrollIn, actor) -> EnrollmentOut      (enrolled / waitlisted)
  list_enrollments(person_id) -> EnrollmentsOut
  get_enrollment(person_id, enrollment_id) -> EnrollmentDetailOut   (modules, progress, quiz
                                                            questions WITHOUT answers)
  save_progress(person_id, enrollment_id, payload: ProgressIn, actor) -> EnrollmentDetailOut
  submit_quiz(person_id, enrollment_id, payload: QuizAnswersIn, actor) -> QuizResultOut
  cancel_enrollment(person_id, enrollment_id, actor) -> EnrollmentOut
  transcript(person_id) -> TranscriptOut
  record_completion(payload: StaffCompletionIn, actor) -> CompletionOut          (staff)
  schedule_session(payload: SessionIn, actor) -> SessionOut                       (staff)
  get_session(session_id, actor) -> SessionRosterOut                              (staff)
  record_attendance(session_id, payload: AttendanceIn, actor) -> SessionRosterOut (staff)
  issue_report_code(person_id, actor) -> ReportCodeOut      (a Compliance Report's code)
  verify_report_code(code) -> VerifiedCodeOut               (NotFound for an unknown code)
Added by the training service:
  list_sessions(filters: {course_code?, include_past?}, actor) -> SessionsOut    (staff)
  sweep_expired(as_of=None, actor=None) -> TrainingSweepOut   (staff when an actor is given)
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.contracts.text import plain_text


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- the catalog -----------------------------------------------------------------------------

class QuestionnaireQuestionOut(BaseModel):
    id: str                        # the key of the answer in EnrollIn.answers
    text: str
    required: bool = False


class QuestionnaireOut(BaseModel):
    """The questions asked when enrolling for `code` ("HP"): a yes to any picks `if_yes`."""
    code: str
    title: str
    if_yes: str                    # "HP2"
    if_no: str                     # "HP1"
    questions: list[QuestionnaireQuestionOut]


class CourseOut(BaseModel):
    code: str                      # "A", "HP1", "FORKLIFT"
    title: str
    description: str = ""
    delivery: Literal["online", "in_person"]
    duration_minutes: int
    prerequisites: list[str] = []
    refresher_days: int | None = None   # the refresher period in days (approximate when in years)
    refresher: dict | None = None       # the period as written, e.g. {"years": 2}
    kind: Literal["application", "craft", "general"] = "craft"  # what unlocks it
    illustrative: bool = True
    placeholder_content: bool = False   # its modules and quiz are placeholders, marked as such
    location: str | None = None         # in-person courses: the usual place (the Burbank centre)
    questionnaire: QuestionnaireOut | None = None   # HP1/HP2: enroll as "HP" with these answers


class CoursesOut(BaseModel):
    courses: list[CourseOut]
    questionnaires: list[QuestionnaireOut] = []


class SessionOut(BaseModel):
    id: uuid.UUID
    course_code: str
    location: str
    starts_at: datetime
    capacity: int
    seats_left: int
    waitlisted: int = 0
    cancelled: bool = False


class CourseDetailOut(CourseOut):
    sessions: list[SessionOut] = []     # upcoming in-person sessions


class EligibilityOut(BaseModel):
    course_code: str
    title: str
    delivery: Literal["online", "in_person"]
    may_enroll: bool
    why_not: str | None = None          # "Report one verified work day in a classification…"
    unlocks_with: str | None = None     # what to do next, e.g. "Finish course A first."
    current: bool = False               # completed and not expired
    completed_on: date | None = None
    expires_on: date | None = None
    enrollment_id: uuid.UUID | None = None   # an open enrollment, to resume
    kind: Literal["application", "craft", "general"] | None = None
    questionnaire: str | None = None    # "HP": enroll with the questionnaire's code and answers
    enrollment_status: str | None = None     # of that open enrollment: enrolled / waitlisted


class MyTrainingOut(BaseModel):
    courses: list[EligibilityOut]


# --- enrolling and taking a course --------------------------------------------------------------

class EnrollIn(Strict):
    # "HP" asks the questionnaire to choose HP1 or HP2
    course_code: str = Field(min_length=1, max_length=40)
    session_id: uuid.UUID | None = None          # in-person courses
    answers: dict[str, bool] | None = None       # questionnaire answers, e.g. {"supervisor": true}

    @field_validator("course_code")
    @classmethod
    def upper(cls, value: str) -> str:
        return value.upper()


class EnrollmentOut(BaseModel):
    id: uuid.UUID
    course_code: str
    status: Literal["enrolled", "waitlisted", "completed", "cancelled", "failed"]
    session_id: uuid.UUID | None = None
    waitlist_position: int | None = None
    enrolled_at: datetime
    completed_on: date | None = None


class EnrollmentsOut(BaseModel):
    enrollments: list[EnrollmentOut]


class ModuleOut(BaseModel):
    id: str
    title: str
    body: str                     # plain text with paragraphs; links to images or videos allowed
    media: list[str] = []
    done: bool = False


class QuestionOut(BaseModel):
    """A quiz question as the person sees it: never which choice is right."""
    id: str
    text: str
    choices: list[str]


class EnrollmentDetailOut(EnrollmentOut):
    title: str
    modules: list[ModuleOut] = []
    quiz: list[QuestionOut] = []
    pass_mark: int | None = None        # percent
    attempts_left: int | None = None
    last_score: int | None = None


class ProgressIn(Strict):
    module: str = Field(min_length=1, max_length=60)


class QuizAnswersIn(Strict):
    answers: dict[str, int]             # question id -> index of the chosen choice


class QuizResultOut(BaseModel):
    passed: bool
    score: int                          # percent
    wrong: list[str]                    # question ids answered wrongly
    attempts_left: int | None = None
    completion: CompletionOut | None = None


# --- completions, transcript -------------------------------------------------------------------

class CompletionOut(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    course_code: str
    title: str
    completed_on: date
    expires_on: date | None = None
    score: int | None = None
    source: str                         # "online", "in_person", "employer", "staff", "import"
    status: Literal["current", "expired"] = "current"   # as of today


class TranscriptOut(BaseModel):
    person_id: uuid.UUID
    il_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    completions: list[CompletionOut]


class StaffCompletionIn(Strict):
    person_id: uuid.UUID
    course_code: str = Field(min_length=1, max_length=40)
    completed_on: date
    source: str = Field("staff", min_length=1, max_length=80)   # e.g. an employer's own programme
    evidence_document_id: uuid.UUID | None = None
    score: int | None = Field(None, ge=0, le=100)

    @field_validator("source", mode="before")
    @classmethod
    def plain(cls, value):
        return plain_text(value, "The source")

    @field_validator("course_code")
    @classmethod
    def upper(cls, value: str) -> str:
        return value.upper()


# --- in-person sessions ------------------------------------------------------------------------

class SessionIn(Strict):
    course_code: str = Field(min_length=1, max_length=40)
    location: str = Field(min_length=1, max_length=200)
    starts_at: datetime
    capacity: int = Field(gt=0, le=500)

    @field_validator("location", mode="before")
    @classmethod
    def plain(cls, value):
        return plain_text(value, "The location")

    @field_validator("course_code")
    @classmethod
    def upper(cls, value: str) -> str:
        return value.upper()


class SeatOut(BaseModel):
    enrollment_id: uuid.UUID
    person_id: uuid.UUID
    il_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    status: str                         # enrolled / waitlisted / completed / cancelled
    waitlist_position: int | None = None
    attended: bool | None = None


class SessionRosterOut(SessionOut):
    seats: list[SeatOut] = []


class SessionsOut(BaseModel):
    sessions: list[SessionOut]


class SessionFiltersIn(Strict):
    course_code: str | None = Field(None, max_length=40)
    include_past: bool = False


class TrainingSweepOut(BaseModel):
    as_of: date
    expired: int = 0                    # completions that lapsed and were announced


class AttendanceIn(Strict):
    attended: list[uuid.UUID] = []      # enrollment ids present: their course is completed
    absent: list[uuid.UUID] = []


# --- the Compliance Report's verification code ------------------------------------------------

class ReportCodeOut(BaseModel):
    code: str                           # at least 12 characters from a secure random source
    person_id: uuid.UUID
    issued_at: datetime


class VerifiedCodeOut(BaseModel):
    code: str
    person_id: uuid.UUID
    issued_at: datetime


QuizResultOut.model_rebuild()
