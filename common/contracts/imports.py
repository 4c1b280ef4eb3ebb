"""The legacy import (issue 11, journey 2): the kinds of CSV file, their columns, the rows'
shapes, and the job's report. Shared by the gateway (header check at upload) and the services."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from common.contracts.accounts import PersonFields

IL_PATTERN = r"^[A-Za-z0-9\-]{1,10}$"

COLUMNS: dict[str, tuple[str, ...]] = {
    "people": ("il_number", "ssn", "first_name", "last_name", "date_of_birth", "email", "phone", "address"),
    "classification_records": ("il_number", "classification_code", "status", "applied_on", "placed_on",
                               "group", "group_started_on"),
    "work_days": ("il_number", "classification_code", "work_date", "employer", "production", "hours",
                  "verified"),
    "completions": ("il_number", "course_code", "completed_on", "expires_on", "score", "source"),
    "documents": ("il_number", "document_type", "status", "issued_on", "expires_on", "reason"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "people": ("email", "phone", "address"),
    "classification_records": ("placed_on", "group", "group_started_on"),
    "work_days": ("production", "hours", "verified"),
    "completions": ("expires_on", "score", "source"),
    "documents": ("issued_on", "expires_on", "reason"),
}
# the service that applies each kind other than people (RPC `import_rows(kind, rows, actor)` → BatchOut)
OWNER = {"classification_records": "rosters", "work_days": "rosters", "completions": "training",
         "documents": "documents"}
KINDS = tuple(COLUMNS)
ImportKind = Literal["people", "classification_records", "work_days", "completions", "documents"]
STATUSES = ("queued", "running", "done", "failed")


class HeaderProblem(ValueError):
    def __init__(self, message: str, missing: list[str]):
        super().__init__(message)
        self.missing = missing


def check_header(kind: str, header: list[str] | None) -> list[str]:
    """The extra columns (to warn about); raises HeaderProblem naming the missing required ones."""
    if kind not in COLUMNS:
        raise HeaderProblem(f"Unknown kind {kind!r}: one of {', '.join(KINDS)}.", [])
    names = [(h or "").strip() for h in (header or [])]
    required = [c for c in COLUMNS[kind] if c not in OPTIONAL[kind]]
    missing = [c for c in required if c not in names]
    if missing:
        raise HeaderProblem(f"The header row lacks the required column(s): {', '.join(missing)}. "
                            f"A {kind} file has the columns {', '.join(COLUMNS[kind])}.", missing)
    return [n for n in names if n not in COLUMNS[kind]]


def template_csv(kind: str) -> str:
    return ",".join(COLUMNS[kind]) + "\r\n"


# Two example rows per kind, for the same two made-up people, using codes of the reference
# catalogs (rosters 80/399, training courses, document types); a test imports every sample.
SAMPLE_ROWS: dict[str, tuple[tuple[str, ...], ...]] = {
    "people": (("1000000001", "123-45-6789", "Jane", "Sample", "1980-04-12", "jane.sample@example.com",
                "818-555-0101", "100 Studio Way, Burbank CA 91505"),
               ("1000000002", "234-56-7890", "Juan", "Ejemplo", "1975-11-30", "", "", "")),
    "classification_records": (("1000000001", "80-GRIP", "compliant", "2021-03-01", "2021-09-15", "", ""),
                               ("1000000002", "399-DRIVER-G3", "in_progress_training_eligible", "2025-06-02",
                                "", "", "")),
    "work_days": (("1000000001", "80-GRIP", "2024-02-05", "Paramount Pictures", "The Long Take", "12", "true"),
                  ("1000000002", "399-DRIVER-G3", "2025-07-14", "Warner Bros.", "", "10.5", "false")),
    "completions": (("1000000001", "A", "2021-02-10", "", "92", "legacy LMS"),
                    ("1000000001", "HP1", "2024-05-20", "2026-05-19", "", "")),
    "documents": (("1000000002", "dot_medical_certificate", "approved", "2025-01-15", "2027-01-14", ""),
                  ("1000000002", "cdl_class_a", "rejected", "2024-03-03", "", "Document is illegible")),
}


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


def sample_csv(kind: str) -> str:
    """A small valid file of this kind (the template's header and two example rows)."""
    return "".join(",".join(map(_csv_field, row)) + "\r\n" for row in (COLUMNS[kind], *SAMPLE_ROWS[kind]))


def _blank_is_none(value):
    return None if isinstance(value, str) and not value.strip() else value


class _Row(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")
    il_number: str = Field(pattern=IL_PATTERN)


class PersonRow(PersonFields):
    """One row of a `people` file (the address is one line)."""
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")
    il_number: str = Field(pattern=IL_PATTERN)
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str | None = Field(None, max_length=200)

    @field_validator("email", "phone", "address", mode="before")
    @classmethod
    def blank(cls, value):
        return _blank_is_none(value)

    @field_validator("email")
    @classmethod
    def lower(cls, value):
        return value.lower() if value else value


class _CodeRow(_Row):
    classification_code: str = Field(min_length=1, max_length=40)

    @field_validator("classification_code")
    @classmethod
    def upper(cls, value: str) -> str:
        return value.upper()


class ClassificationRecordRow(_CodeRow):
    classification_code: str = Field(min_length=1, max_length=40)
    status: str = Field(min_length=1, max_length=40)
    applied_on: date
    placed_on: date | None = None
    group: str | None = Field(None, max_length=40)
    group_started_on: date | None = None

    @field_validator("placed_on", "group", "group_started_on", mode="before")
    @classmethod
    def blank(cls, value):
        return _blank_is_none(value)


class WorkDayRow(_CodeRow):
    classification_code: str = Field(min_length=1, max_length=40)
    work_date: date
    employer: str = Field(min_length=1, max_length=200)
    production: str | None = Field(None, max_length=200)
    hours: float | None = Field(None, ge=0, le=24)
    verified: bool = True

    @field_validator("production", "hours", mode="before")
    @classmethod
    def blank(cls, value):
        return _blank_is_none(value)

    @field_validator("verified", mode="before")
    @classmethod
    def blank_is_verified(cls, value):
        return True if _blank_is_none(value) is None else value


class CompletionRow(_Row):
    """A course completed in the legacy system (the LMS or a class roster)."""
    course_code: str = Field(min_length=1, max_length=40)
    completed_on: date
    expires_on: date | None = None          # blank: the catalog's refresher decides
    score: int | None = Field(None, ge=0, le=100)
    source: str | None = Field(None, max_length=80)

    @field_validator("course_code")
    @classmethod
    def upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("expires_on", "score", "source", mode="before")
    @classmethod
    def blank(cls, value):
        return _blank_is_none(value)

    @model_validator(mode="after")
    def expiry_after_completion(self):
        if self.expires_on is not None and self.expires_on < self.completed_on:
            raise ValueError("expires_on: is before completed_on")
        return self


class DocumentRow(_Row):
    """A paper on file in the legacy system: its metadata only (no scan is imported)."""
    document_type: str = Field(min_length=1, max_length=60)
    status: Literal["pending_review", "approved", "rejected", "expired"]
    issued_on: date | None = None
    expires_on: date | None = None
    reason: str | None = Field(None, max_length=500)

    @field_validator("issued_on", "expires_on", "reason", mode="before")
    @classmethod
    def blank(cls, value):
        return _blank_is_none(value)

    @model_validator(mode="after")
    def coherent(self):
        if self.issued_on and self.expires_on and self.expires_on < self.issued_on:
            raise ValueError("expires_on: is before issued_on")
        if self.status == "rejected" and not self.reason:
            raise ValueError("reason: a rejected document needs the reason")
        return self


ROW_MODELS = {"people": PersonRow, "classification_records": ClassificationRecordRow, "work_days": WorkDayRow,
              "completions": CompletionRow, "documents": DocumentRow}


class RejectedRow(BaseModel):
    line: int
    reason: str


def row_problem(exc: ValidationError) -> str:
    """A rejected row's reason in the file's words: "column: what is wrong; …" (at most 500)."""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ()))
        message = "missing" if err.get("type") == "missing" else err.get("msg", "invalid").removeprefix("Value error, ")
        # a check across columns names its column in the message already
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts)[:500]


def parse_batch(model: type[BaseModel], rows: list) -> tuple[list[tuple[int, BaseModel]], list[RejectedRow]]:
    """A batch sent to an owning service ({line, values}) as (line, row) pairs and rejections."""
    parsed, rejected = [], []
    for row in rows:
        line, values = int(row["line"]), row.get("values") or {}
        try:
            parsed.append((line, model.model_validate(values)))
        except ValidationError as exc:
            rejected.append(RejectedRow(line=line, reason=row_problem(exc)))
    return parsed, rejected


class StartImportIn(BaseModel):
    id: uuid.UUID
    kind: ImportKind
    key: str = Field(min_length=1, max_length=300)
    send_invitations: bool = False
    file_name: str | None = Field(None, max_length=255)


class ImportOut(BaseModel):
    id: uuid.UUID
    kind: str
    status: str
    file_name: str | None = None
    send_invitations: bool = False
    total: int | None = None
    done: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_count: int = 0
    rejected: list[RejectedRow] = []
    warnings: list[str] = []
    error: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    rows_per_minute: float | None = None


class BatchRowIn(BaseModel):
    """A row sent to the owning service: its file line and its columns as text."""
    line: int
    values: dict[str, str | None]


class BatchOut(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = []
