"""The legacy import (issue 11, journey 2): the kinds of CSV file, their columns, the rows'
shapes, and the job's report. Shared by the gateway (header check at upload) and the services."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
SUPPORTED_KINDS = ("people", "classification_records", "work_days")
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


ROW_MODELS = {"people": PersonRow, "classification_records": ClassificationRecordRow, "work_days": WorkDayRow}


class StartImportIn(BaseModel):
    id: uuid.UUID
    kind: ImportKind
    key: str = Field(min_length=1, max_length=300)
    send_invitations: bool = False
    file_name: str | None = Field(None, max_length=255)


class RejectedRow(BaseModel):
    line: int
    reason: str


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
