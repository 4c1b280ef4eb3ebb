"""The tables the generator fills, service by service, with their columns in COPY order, and the
CSV form of a value. `check_columns` holds each list to the service's SQLAlchemy model, so a
model that gains a column stops the generator instead of loading half a row."""
from __future__ import annotations

import importlib
import re
from datetime import date, datetime

# service → [(table, columns)]; a table's autoincrement id is left to its sequence (SERIAL_IDS)
TABLES: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "accounts": [
        ("people", ("id", "il_number", "first_name", "last_name", "date_of_birth", "ssn_encrypted", "ssn_index",
                    "email", "email_undeliverable", "phone", "address_line1", "address_line2", "city", "state",
                    "postal_code", "email_notifications", "origin", "created_at")),
        ("accounts", ("id", "person_id", "email", "display_name", "password_hash", "roles", "locals",
                      "organisation", "created_at", "password_changed_at", "disabled_at")),
        ("person_locals", ("person_id", "local")),
        ("payroll_clients", ("id", "name", "key_hash", "key_prefix", "created_at", "revoked_at", "last_used_at")),
    ],
    "rosters": [
        ("people", ("person_id", "il_number", "first_name", "last_name", "registered_at", "ssn_index")),
        ("classification_records", ("id", "person_id", "classification_code", "local", "applied_on", "placed_on",
                                    "group_started_on", "closed_on", "closed_reason", "status", "status_as_of",
                                    "anticipated_advancement_on", "lapses_on", "updated_at", "next_review_on",
                                    "review_basis")),
        ("work_days", ("id", "person_id", "held_ssn_index", "held_last_name", "classification_code", "work_date",
                       "employer", "production", "hours", "union_contract", "source", "verified", "verified_by",
                       "verified_at", "verified_on", "rejected_reason", "proof_document_id", "payroll_client_id",
                       "dedupe_key", "created_at")),
        ("completions", ("person_id", "course_code", "completed_on", "expires_on")),
        ("document_facts", ("document_id", "person_id", "document_type", "status", "approved_on", "expires_on")),
        ("questionnaire_answers", ("person_id", "question", "answer", "answered_on")),
    ],
    "documents": [
        ("owners", ("person_id", "il_number", "first_name", "last_name", "registered_at")),
        ("owner_applications", ("person_id", "classification_code", "local")),
        ("documents", ("id", "person_id", "document_type", "classification_code", "file_name", "size",
                       "content_type", "sha256", "object_key", "status", "reason", "issued_on", "expires_on",
                       "uploaded_at", "uploaded_by", "reviewed_at", "reviewed_by", "source",
                       "expired_event_sent_at", "legacy_key")),
    ],
    "training": [
        ("learners", ("person_id", "il_number", "first_name", "last_name", "registered_at")),
        ("learner_records", ("person_id", "classification_code", "local", "roster", "status", "placed_on",
                             "closed", "event_at")),
        ("completions", ("id", "person_id", "course_code", "completed_on", "expires_on", "score", "source",
                         "evidence_document_id", "enrollment_id", "recorded_at", "recorded_by",
                         "expired_event_sent_at")),
    ],
    "notifications": [
        ("messages", ("id", "person_id", "category", "subject", "body", "deadline", "created_at", "read_at",
                      "link", "archived_at")),
        ("recipients", ("person_id", "email", "first_name", "email_notifications")),
    ],
}
SERIAL_IDS = {("rosters", "completions"): "id", ("rosters", "questionnaire_answers"): "id"}
SERVICES = tuple(TABLES)


def columns_of(service: str, table: str) -> tuple[str, ...]:
    return dict(TABLES[service])[table]


def check_columns() -> None:
    """Each table's columns (with its sequence-filled id) are exactly its model's."""
    problems = []
    for service, tables in TABLES.items():
        metadata = importlib.import_module(f"{service}.models").Base.metadata
        for table, columns in tables:
            model = {c.name for c in metadata.tables[table].columns}
            ours = set(columns) | ({SERIAL_IDS[(service, table)]} if (service, table) in SERIAL_IDS else set())
            if ours != model:
                problems.append(f"{service}.{table}: the model has {sorted(model - ours)} that bench.data does "
                                f"not write, and bench.data writes {sorted(ours - model)} the model lacks")
    if problems:
        raise SystemExit("bench.data is out of step with the models:\n  " + "\n  ".join(problems))


_NEEDS_QUOTES = re.compile(r'[,"\n\r]').search


def _text(value: str) -> str:
    if not value or _NEEDS_QUOTES(value):
        return '"' + value.replace('"', '""') + '"'
    return value


# A value in PostgreSQL's CSV form: an empty field is NULL, a quoted empty one is ''. By type,
# not isinstance, since this runs for every value of every row outside the work days.
_FORMAT = {
    str: _text, type(None): lambda _: "", bool: lambda value: "t" if value else "f", int: str, float: repr,
    date: date.isoformat, datetime: datetime.isoformat, bytes: lambda value: "\\x" + value.hex(),
}


def line(*values) -> str:
    return ",".join([_FORMAT[type(value)](value) for value in values]) + "\n"
