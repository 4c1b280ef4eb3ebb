"""Shapes of the rosters RPCs' input and output (the gateway's OpenAPI document uses them too)."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    as_of: date


class SweepOut(BaseModel):
    as_of: date
    evaluated: int
    placed: int
    suspended: int
    reinstated: int
    advanced: int
    warnings: int
