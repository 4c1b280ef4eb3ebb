"""Shapes of the rosters service's RPCs and of the API built on them (the gateway's OpenAPI
document uses them too): pydantic only, shared by the service and the gateway."""
from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from common.clock import today
from common.contracts.text import PlainText, plain_text, visible_name
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
    employer: PlainText = Field(min_length=1, max_length=200)
    production: PlainText | None = Field(None, max_length=200)
    hours: float | None = Field(None, ge=0, le=24)
    union: bool = True

    @field_validator("work_date")
    @classmethod
    def plausible(cls, value: date) -> date:
        return _work_date_is_plausible(value)


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
    reason: PlainText | None = Field(None, max_length=300)


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
    employer: PlainText = Field(min_length=1, max_length=200)
    production: PlainText | None = Field(None, max_length=200)
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
    reason: PlainText = Field(min_length=1, max_length=500)  # the person is told it


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


# --- union reps: a local's members and applicants (issue 11, journey 7) -------------------------

REP_STATUSES = ("in_progress_not_training_eligible", "in_progress_training_eligible",
                "compliant", "approaching_deadline", "not_compliant", "pending_advancement")
APPLICANT_STATUSES = ("in_progress_not_training_eligible", "in_progress_training_eligible")


class LocalMembersFilters(BaseModel):
    """What a rep may narrow a local's list by; empty strings count as not given."""
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")
    status: str | None = None           # a SPEC §3 status code
    q: str | None = Field(None, max_length=100)   # a name prefix ("smi", "smith, jo") or an IL number
    classification: str | None = Field(None, max_length=40)
    page: int = Field(1, ge=1, le=MAX_PAGE)

    @field_validator("status", "q", "classification", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("status")
    @classmethod
    def _known_status(cls, value):
        if value is not None and value not in REP_STATUSES:
            raise ValueError("not a status: use one of " + ", ".join(REP_STATUSES))
        return value

    @field_validator("classification")
    @classmethod
    def _upper(cls, value):
        return value.upper() if value else value


class MemberClassification(BaseModel):
    code: str
    name: str = ""
    status: str
    status_label: str = ""
    applied_on: date | None = None
    placed_on: date | None = None
    next_deadline: date | None = None   # the record's earliest due date still ahead, if any


class LocalMember(BaseModel):
    """What a rep sees of a member or applicant: never SSN, birth date, contact details, documents."""
    il_number: str | None
    first_name: str
    last_name: str
    classifications: list[MemberClassification]


class LocalMembersOut(BaseModel):
    local: str
    members: list[LocalMember]
    total: int
    page: int
    page_size: int
    pages: int


class DeadlineSoon(BaseModel):
    il_number: str | None
    first_name: str
    last_name: str
    code: str
    status: str
    next_deadline: date | None


class WaitingOn(BaseModel):
    requirement: str
    applicants: int


class LocalSummaryOut(BaseModel):
    local: str
    as_of: date
    people: int                         # members and applicants with an open record here
    counts: dict[str, int]              # records by status
    approaching: list[DeadlineSoon]     # records with a deadline in the next `within_days`
    approaching_total: int
    within_days: int
    waiting_on: list[WaitingOn]         # applicants' unmet requirements, most common first


# --- proofs of employment (issue 11, journey 5) ---------------------------------------------------

class EmploymentProofIn(Strict):
    """An employer's proof that it employed a person in a classification from `first_day`: lists
    them on the classification's training list or starts their roster application, and counts
    `first_day` as a day verified by that employer. The SSN is matched by its keyed blind index
    and never stored or echoed."""
    ssn: str = Field(min_length=1, max_length=20, json_schema_extra={"pattern": SSN_JSON_PATTERN},
                     description="9 digits, 123-45-6789 or 123456789; never stored or echoed")
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date | None = None
    employer: str = Field(min_length=1, max_length=200)
    classification_code: str = Field(min_length=1, max_length=40)
    first_day: date

    @field_validator("ssn")
    @classmethod
    def ssn_is_valid(cls, value: str) -> str:
        return normalise_ssn(value)

    @field_validator("first_name", "last_name", mode="before")
    @classmethod
    def names_are_visible(cls, value):
        return visible_name(value)

    @field_validator("employer", mode="before")
    @classmethod
    def employer_is_plain(cls, value):
        return plain_text(value)

    @field_validator("classification_code")
    @classmethod
    def upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("first_day")
    @classmethod
    def first_day_is_plausible(cls, value: date) -> date:
        if value < EARLIEST_WORK_DATE:
            raise ValueError(f"a first day before {EARLIEST_WORK_DATE:%m/%d/%Y} cannot be recorded")
        if value > today():
            raise ValueError("the first day cannot be in the future")
        return value

    @field_validator("date_of_birth")
    @classmethod
    def born_in_the_past(cls, value: date | None) -> date | None:
        if value is not None and (value >= today() or value.year < today().year - 120):
            raise ValueError("date of birth is not plausible")
        return value


class EmploymentProofOut(BaseModel):
    """The answer to a proof: never the SSN."""
    id: uuid.UUID
    status: Literal["attached", "held"]
    first_name: str
    last_name: str
    il_number: str | None = None
    employer: str
    classification_code: str
    classification_name: str
    first_day: date
    record_status: str | None = None        # the person's record's status code, once theirs
    record_status_label: str | None = None
    day_recorded: bool = True               # False: that day was on file already
    message: str


class EmployedPerson(BaseModel):
    proof_id: uuid.UUID
    first_name: str
    last_name: str
    il_number: str | None = None
    classification_code: str
    classification_name: str
    first_day: date
    status: str            # the record's status code, or "held" while waiting for the person
    status_label: str


class EmployedPeopleOut(BaseModel):
    people: list[EmployedPerson]


# --- extensions and removals (rosters.extensions, rosters.removals) ------------------------------

class _Plain(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ExtensionRequestIn(_Plain):
    classification_code: str = Field(min_length=1, max_length=40)
    requirement: str = Field(min_length=1, max_length=200)   # the requirement's label, as shown
    circumstance: str = Field(min_length=1, max_length=40)   # a code from the data
    until: date                                              # the new due date asked for
    document_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10)


class ExtensionDecisionIn(_Plain):
    decision: Literal["approve", "deny"]
    until: date | None = None     # approve: the new due date (the request's by default)
    reason: PlainText | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def deny_says_why(self):
        if self.decision == "deny" and not self.reason:
            raise ValueError("say why the request is denied (reason)")
        return self


class ExtensionOut(BaseModel):
    extension_id: uuid.UUID
    person_id: uuid.UUID
    classification_code: str
    requirement: str
    circumstance: str
    circumstance_label: str
    original_due_on: date
    requested_until: date
    document_ids: list[uuid.UUID]
    requested_on: date
    status: str                   # requested | approved | denied
    until: date | None
    decided_on: date | None
    reason: str | None


class ExtensionsOut(BaseModel):
    extensions: list[ExtensionOut]
    circumstances: dict[str, str] = {}


class StartRemovalIn(_Plain):
    classification_code: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=40)          # a code from the data
    effective_on: date | None = None                          # today if not given
    note: PlainText | None = Field(default=None, max_length=500)


class ProtestIn(_Plain):
    text: PlainText = Field(min_length=1, max_length=2000)


class RemovalDecisionIn(_Plain):
    decision: Literal["uphold", "reverse"]
    reason: PlainText | None = Field(default=None, max_length=500)


class RemovalOut(BaseModel):
    removal_id: uuid.UUID
    person_id: uuid.UUID
    classification_code: str
    reason: str
    reason_label: str
    note: str | None
    effective_on: date
    protest_by: date
    status: str                   # pending | protested | removed | reversed
    protest_open: bool            # the person may still protest (pending, within the window)
    protest_text: str | None
    protested_on: date | None
    decision: str | None
    decision_reason: str | None
    decided_on: date | None


class RemovalsOut(BaseModel):
    removals: list[RemovalOut]
    reasons: dict[str, str] = {}


# --- staff reports: activity per month (rosters.monthly_report) -----------------------------------

MAX_REPORT_MONTHS = 36
MONTHLY_COLUMNS = ("month", "placements", "suspensions", "staff_suspensions", "withdrawals", "removals",
                   "reinstatements")


class MonthlyActivityIn(BaseModel):
    """Which months (the last `months`, this one included) and, if given, one local only."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    months: int = Field(12, ge=1, le=MAX_REPORT_MONTHS)
    local: str | None = Field(None, max_length=20)

    @field_validator("local", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value


class MonthlyActivityRow(BaseModel):
    month: str                 # "2026-11": a calendar month in the Hub's time zone
    starts_on: date
    ends_on: date              # the month's last day (today's month runs to its end, not to today)
    placements: int            # records placed on a roster (a group advancement places the next group)
    suspensions: int           # records that went Not Compliant: a lapse, or a staff suspension or withdrawal
    staff_suspensions: int     # suspensions staff imposed, by the day they start
    withdrawals: int           # withdrawals staff recorded, by the day they start
    removals: int              # removals taking effect, unless reversed later
    reinstatements: int        # records back from Not Compliant, and removals reversed


class MonthlyActivityOut(BaseModel):
    as_of: date
    months: int
    local: str | None
    time_zone: str
    rows: list[MonthlyActivityRow]       # newest month first
    totals: dict[str, int]
    locals: dict[str, str] = {}          # the catalog's locals (code → name), for a filter


# --- staff: held proofs of employment (rosters.proofs) --------------------------------------------

class HeldProofsFilters(BaseModel):
    """held=true (the default): proofs waiting for a person; held=false: the ones staff dismissed."""
    model_config = ConfigDict(extra="forbid")
    held: bool = True
    page: int = Field(1, ge=1, le=MAX_PAGE)


class SsnHolder(BaseModel):
    """The person who registered with the proof's SSN (the SSN itself is never sent)."""
    person_id: uuid.UUID
    il_number: str | None
    first_name: str
    last_name: str


class HeldProof(BaseModel):
    id: uuid.UUID
    first_name: str                       # the name on the proof
    last_name: str
    employer: str
    organisation: str | None              # the submitting login's organisation
    classification_code: str
    classification_name: str
    first_day: date
    submitted_on: date                    # the business day it was submitted
    age_days: int
    status: Literal["held", "dismissed"]
    # someone registered with this SSN under a different last name, so it was not attached
    registered_person: SsnHolder | None = None
    dismissed_on: date | None = None
    dismissed_reason: str | None = None


class HeldProofsOut(BaseModel):
    proofs: list[HeldProof]
    total: int
    page: int
    page_size: int
    pages: int


class AttachProofIn(_Plain):
    person_id: uuid.UUID      # the person staff confirm it is (the one who registered with the SSN)


class DismissProofIn(_Plain):
    reason: PlainText = Field(min_length=1, max_length=500)


class HeldProofDecisionOut(BaseModel):
    id: uuid.UUID
    status: Literal["attached", "dismissed"]
    person_id: uuid.UUID | None = None
    il_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    classification_code: str
    record_status: str | None = None
    record_status_label: str | None = None
    day_attached: bool = False
    message: str
