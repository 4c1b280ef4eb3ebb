"""Legacy import (issue 11): the header of each kind and the validation of a row."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from common.contracts.imports import (
    COLUMNS,
    ClassificationRecordRow,
    HeaderProblem,
    PersonRow,
    WorkDayRow,
    check_header,
    template_csv,
)


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_the_template_of_each_kind_passes_its_own_header_check(kind):
    assert check_header(kind, template_csv(kind).strip().split(",")) == []


def test_a_missing_required_column_is_named_and_optional_ones_may_be_left_out():
    with pytest.raises(HeaderProblem) as exc:
        check_header("people", ["il_number", "first_name", "last_name", "date_of_birth"])
    assert exc.value.missing == ["ssn"]
    assert "ssn" in str(exc.value)
    assert check_header("work_days", ["il_number", "classification_code", "work_date", "employer"]) == []


def test_extra_columns_are_reported_to_be_ignored():
    header = list(COLUMNS["classification_records"]) + ["legacy_id", "notes"]
    assert check_header("classification_records", header) == ["legacy_id", "notes"]


def test_an_unknown_kind_is_refused():
    with pytest.raises(HeaderProblem):
        check_header("payroll", ["il_number"])


def person(**overrides):
    row = {"il_number": "1000000001", "ssn": "123-45-6789", "first_name": "Ana", "last_name": "Mator",
           "date_of_birth": "1980-02-03", "email": "", "phone": "", "address": ""}
    row.update(overrides)
    return row


def test_a_people_row_takes_blanks_as_absent_and_normalises_the_ssn():
    row = PersonRow.model_validate(person(email="Ana@Example.COM"))
    assert (row.ssn, row.email, row.phone, row.address) == ("123456789", "ana@example.com", None, None)


@pytest.mark.parametrize("field, value", [("ssn", "000-12-3456"), ("ssn", "12345"), ("date_of_birth", "03/02/1980"),
                                          ("il_number", ""), ("il_number", "12345678901"), ("email", "nope"),
                                          ("first_name", "")])
def test_a_bad_people_row_is_refused_naming_the_field(field, value):
    with pytest.raises(ValidationError) as exc:
        PersonRow.model_validate(person(**{field: value}))
    assert field in str(exc.value)


def test_classification_record_and_work_day_rows():
    record = ClassificationRecordRow.model_validate(
        {"il_number": "1", "classification_code": "839-animation", "status": "compliant",
         "applied_on": "2023-03-01", "placed_on": "", "group": "", "group_started_on": ""})
    assert record.placed_on is None and record.applied_on.isoformat() == "2023-03-01"
    day = WorkDayRow.model_validate({"il_number": "1", "classification_code": "x", "work_date": "2024-01-02",
                                     "employer": "Acme", "production": "", "hours": "", "verified": ""})
    assert (day.hours, day.verified, day.production) == (None, True, None)
    assert WorkDayRow.model_validate({"il_number": "1", "classification_code": "x", "work_date": "2024-01-02",
                                      "employer": "Acme", "verified": "false"}).verified is False
    with pytest.raises(ValidationError):
        WorkDayRow.model_validate({"il_number": "1", "classification_code": "x", "work_date": "2024-13-02",
                                   "employer": "Acme"})


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_the_sample_of_each_kind_has_the_header_and_rows_that_validate(kind):
    import csv
    import io

    from common.contracts.imports import ROW_MODELS, sample_csv

    reader = csv.DictReader(io.StringIO(sample_csv(kind)))
    assert check_header(kind, reader.fieldnames) == []
    rows = list(reader)
    assert len(rows) == 2
    for row in rows:
        ROW_MODELS[kind].model_validate(row)


def test_the_samples_use_codes_of_the_reference_catalogs():
    from documents.document_types import load_document_types
    from rosters.catalog_loader import load_catalog_files
    from training.courses import load_courses

    from common.contracts.imports import SAMPLE_ROWS

    codes = {c.code for _, f in load_catalog_files() for c in f.classifications}
    assert {row[1] for row in SAMPLE_ROWS["classification_records"] + SAMPLE_ROWS["work_days"]} <= codes
    courses = load_courses()
    assert all(courses.get(row[1]) is not None for row in SAMPLE_ROWS["completions"])
    types = load_document_types()
    assert all(row[1] in types for row in SAMPLE_ROWS["documents"])
