"""Shapes of the rosters service's RPCs and of the API built on them (the gateway's OpenAPI
document uses them too): pydantic only, shared by the service and the gateway."""
from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from common.clock import today
from common.contracts.text import plain_text, visible_name
from common.identity import SSN_JSON_PATTERN, normalise_ssn

# Work days older than this are not records anyone can prove; the catalog's windows are years.
EARLIEST_WORK_DATE = date(1950, 1, 1)
# Dates a sweep or an "as of" read may name: far enough either way for any real question,
# near enough that date arithmetic in the engine (years added, windows subtracted) cannot overflow.
EARLIEST_AS_OF, LATEST_AS_OF = date(1950, 1, 1), date(2199, 12, 31)


def _work_date_is_plausible(value: date) -> date:
    if value < EARLIEST_WORK_DATE:
        raise ValueError(f"a work date before {EARLIEST_WORK_DATE:%m/%d/%Y} cannot be recorded")
    if value > today():
        raise ValueError("a work date cannot be in the future")
    return value

MAX_PAYROLL_BATCH = 10_000


def check_batch_size(records: list) -> None:
    """The gateway checks before sending a batch over RPC; the service again for other callers."""
    from common.errors import ValidationFailed

    if len(records) > MAX_PAYROLL_BATCH:
        raise ValidationFailed(f"A batch holds at most {MAX_PAYROLL_BATCH:,} records; this one has "
                               f"{len(records):,}. Split it and send the parts.",
                               {"fields": {"records": f"at most {MAX_PAYROLL_BATCH} records"}})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- statuses (SPEC §3): the code is the contract, the label is what people read ----------------

STATUS_LABELS = {
    "in_progress_not_training_eligible": "In Progress - Not Training Eligible",
    "in_progress_training_eligible": "In Progress - Training Eligible",
    "compliant": "Compliant",
    "approaching_deadline": "Approaching Deadlines",
    "not_compliant": "Not Compliant",
    "pending_advancement": "Pending (In Progress)",
    "closed": "Closed",
}


# --- the catalog -----------------------------------------------------------------------------

class ClassificationOut(BaseModel):
    code: str
    name: str
    local: str
    local_name: str
    union: str
    roster: str
    group: int | None
    advances_to: str | None
    illustrative: bool
    application: list[str]   # requirement labels
    ongoing: list[str]


class ClassificationsOut(BaseModel):
    classifications: list[ClassificationOut]


# --- classification records ------------------------------------------------------------------

class RowOut(BaseModel):
    phase: str
    kind: str
    tab: str
    label: str
    state: str
    detail: str
    due_on: date | None = None
    next_step: str | None = None
    numbers: dict = {}


class IntervalOut(BaseModel):
    start: date
    end: date
    compliant: bool


class RecordOut(BaseModel):
    record_id: uuid.UUID | None  # none for a pending advancement: that record does not exist yet
    classification_code: str
    name: str
    local: str
    local_name: str
    roster: str
    group: int | None
    status: str
    label: str
    as_of: date
    applied_on: date | None
    placed_on: date | None
    training_eligible: bool
    anticipated_advancement_on: date | None
    advances_to: str | None
    rows: list[RowOut]
    timeline: list[IntervalOut]


class MyClassificationsOut(BaseModel):
    as_of: date
    records: list[RecordOut]
    pending: list[RecordOut]
    closed: list[RecordOut]


class ApplyIn(Strict):
    classification_code: str = Field(min_length=1, max_length=40)


# --- work experience -------------------------------------------------------------------------

class WorkDayIn(Strict):
    work_date: date
    classification_code: str = Field(min_length=1, max_length=40)
    employer: str = Field(min_length=1, max_length=200)
    production: str | None = Field(None, max_length=200)
    hours: float | None = Field(None, ge=0, le=24)
    union: bool = True

    @field_validator("work_date")
    @classmethod
    def plausible(cls, value: date) -> date:
        return _work_date_is_plausible(value)

    @field_validator("employer", "production", mode="before")
    @classmethod
    def text_is_plain(cls, value):
        return plain_text(value)


class SubmitWorkDaysIn(Strict):
    """An Industry Professional reports days worked, with proof (an uploaded document)."""
    days: list[WorkDayIn] = Field(min_length=1, max_length=366)
    proof_document_id: uuid.UUID | None = None


class RecordWorkDaysIn(Strict):
    """Staff enter verified days for a person (from a pay stub, an employer's proof…)."""
    person_id: uuid.UUID
    days: list[WorkDayIn] = Field(min_length=1, max_length=366)
    source: Literal["staff", "employer_proof"] = "staff"
    proof_document_id: uuid.UUID | None = None


class ReviewWorkDayIn(Strict):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(None, max_length=300)

    @field_validator("reason", mode="before")
    @classmethod
    def text_is_plain(cls, value):
        return plain_text(value)


class WorkDayOut(BaseModel):
    id: uuid.UUID
    work_date: date
    classification_code: str
    employer: str
    production: str | None
    hours: float | None
    source: str
    verified: bool
    rejected_reason: str | None


class WorkExperienceOut(BaseModel):
    days: list[WorkDayOut]
    verified_total: int
    pending_total: int


class WorkDaysSubmittedOut(BaseModel):
    recorded: int
    duplicates: int
    days: list[WorkDayOut]


# --- payroll ---------------------------------------------------------------------------------

class PayrollRecordIn(BaseModel):
    """One work record from a payroll company."""
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    ssn: str = Field(min_length=1)
    last_name: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    employer: str = Field(min_length=1, max_length=200)
    production: str | None = Field(None, max_length=200)
    classification_code: str = Field(min_length=1, max_length=40)
    work_date: date
    hours: float = Field(ge=0, le=24)
    union: bool = True

    @field_validator("classification_code")
    @classmethod
    def upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("work_date")
    @classmethod
    def plausible(cls, value: date) -> date:
        return _work_date_is_plausible(value)

    @field_validator("last_name", "first_name", mode="before")
    @classmethod
    def names_are_visible(cls, value):
        return visible_name(value)

    @field_validator("employer", "production", mode="before")
    @classmethod
    def text_is_plain(cls, value):
        return plain_text(value)


class PayrollBatchIn(BaseModel):
    records: list[dict] = Field(max_length=MAX_PAYROLL_BATCH)


class RejectedRecord(BaseModel):
    index: int
    reason: str


class PayrollReportOut(BaseModel):
    accepted: int     # stored and attached to a person we know
    duplicates: int   # already on file (or repeated in the batch): not stored twice
    held: int         # stored, waiting for the person with that SSN to appear
    rejected: list[RejectedRecord]


# --- sweeps ----------------------------------------------------------------------------------

class SweepIn(Strict):
    as_of: date = Field(description=f"a date from {EARLIEST_AS_OF} to {LATEST_AS_OF}")

    @field_validator("as_of")
    @classmethod
    def in_range(cls, value: date) -> date:
        if not EARLIEST_AS_OF <= value <= LATEST_AS_OF:
            raise ValueError(f"as_of must be between {EARLIEST_AS_OF:%m/%d/%Y} and {LATEST_AS_OF:%m/%d/%Y}")
        return value


class SweepOut(BaseModel):
    as_of: date
    evaluated: int
    placed: int
    suspended: int
    reinstated: int
    advanced: int
    warnings: int
    documents_expired: int | None = None   # the documents service's part of the daily sweep


# --- public roster search (SPEC §4 journey 8) -------------------------------------------------

PAGE_SIZE = 25
MAX_PAGE = 1000  # 25,000 results deep is far past anyone paging; ask for a narrower search

# what the public sees, and what counts as being on the roster (placed and not suspended)
PUBLIC_STATUSES = ("in_progress_not_training_eligible", "in_progress_training_eligible",
                   "compliant", "approaching_deadline", "not_compliant")
ON_ROSTER = ("compliant", "approaching_deadline")

CRITERIA = ("last_name", "first_name", "ssn", "il_number", "classification", "local")


SSN_NEEDS_LAST_NAME = "Enter the last name with the SSN: search by last name and SSN together."


class SearchCriteria(BaseModel):
    """What a search may ask. At least one of last_name, first_name, ssn, il_number,
    classification, local; an SSN only together with the last name (seed 003: "search by Last
    Name and SSN"), so that a number alone never tells whose it is. Empty strings count as not
    given."""
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid", json_schema_extra={
        "anyOf": [{"required": [name]} for name in CRITERIA],
        "dependentRequired": {"ssn": ["last_name"]},
    })

    last_name: str | None = Field(None, max_length=100, description="case-insensitive prefix")
    first_name: str | None = Field(None, max_length=100, description="case-insensitive prefix")
    ssn: str | None = Field(None, json_schema_extra={"pattern": SSN_JSON_PATTERN},
                            description="exact match, 123-45-6789 or 123456789; needs last_name")
    il_number: str | None = Field(None, description="exact, 10 digits")
    classification: str | None = Field(None, max_length=40, description="a classification code, e.g. 80-GRIP")
    local: str | None = Field(None, max_length=20, description="a local, e.g. 399")
    page: int = Field(1, ge=1, le=MAX_PAGE)

    @field_validator("last_name", "first_name", "ssn", "il_number", "classification", "local",
                     mode="before")
    @classmethod
    def blank_is_none(cls, value):
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("ssn")
    @classmethod
    def ssn_is_valid(cls, value: str | None) -> str | None:
        # the message never repeats the number
        return None if value is None else normalise_ssn(value)

    @field_validator("il_number")
    @classmethod
    def il_number_is_ten_digits(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = re.sub(r"[\s-]", "", value)
        if not re.fullmatch(r"\d{10}", digits):
            raise ValueError("an IL number is 10 digits")
        return digits

    @field_validator("classification")
    @classmethod
    def classification_code(cls, value: str | None) -> str | None:
        return None if value is None else value.upper()

    @field_validator("local")
    @classmethod
    def local_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # "Local #399", "local 399", "#399" and "399" all mean 399
        code = re.sub(r"^(local\s*)?#?\s*", "", value, flags=re.IGNORECASE).strip()
        if not code:
            raise ValueError("enter a local like 399")
        return code

    @model_validator(mode="after")
    def at_least_one(self):
        if not any(getattr(self, name) for name in CRITERIA):
            raise ValueError("fill in at least one of last name, first name, SSN, IL number, "
                             "classification or local")
        if self.ssn and not self.last_name:
            raise ValueError(SSN_NEEDS_LAST_NAME)
        return self


class PublicClassification(BaseModel):
    code: str
    name: str
    local: str
    status: str          # the code (SPEC §3), e.g. "compliant"
    status_label: str    # what people read, e.g. "Compliant"
    on_roster: bool


class SafetyPass(BaseModel):
    courses: list[str]


class PublicPerson(BaseModel):
    il_number: str
    first_name: str
    last_name: str
    classifications: list[PublicClassification]
    safety_pass: SafetyPass


class SearchResult(BaseModel):
    results: list[PublicPerson]
    total: int
    page: int
    page_size: int
    pages: int


# --- staff suspensions and withdrawals (time off the roster) -------------------------------------

class ImposeSuspensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    person_id: uuid.UUID
    classification_code: str = Field(min_length=1, max_length=40)
    kind: Literal["suspension", "withdrawal"] = "suspension"
    starts_on: date | None = None   # the first day off the roster; today if not given
    reason: str = Field(min_length=1, max_length=500)  # the person is told it

    @field_validator("reason", mode="before")
    @classmethod
    def text_is_plain(cls, value):
        return plain_text(value)


class LiftSuspensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lifted_on: date | None = None   # the first day back on the roster; today if not given


class SuspensionOut(BaseModel):
    suspension_id: uuid.UUID
    person_id: uuid.UUID
    classification_code: str
    kind: str
    starts_on: date
    ends_on: date | None          # the last day off the roster; null while in force
    reason: str
    record_status: str            # the record's status afterwards, as of today


class SuspensionsOut(BaseModel):
    suspensions: list[SuspensionOut]
