"""The Compliance Report's verification codes in the training service: issued through the
entrypoint (nameko's worker_factory, a real in-memory database), verified, never guessable."""
import math
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory
from training import reports
from training.reports_models import ReportCode
from training.service import TrainingService

from common.contracts.training import ReportCodeOut, VerifiedCodeOut
from common.db import base_of
from common.errors import NotFound
from tests.support.databases import memory_sessions

PERSON = str(uuid.uuid4())
ACTOR = {"account_id": str(uuid.uuid4()), "roles": ["industry_professional"], "client_ip": "10.0.0.9"}


@pytest.fixture
def training():
    """(service, session)"""
    with memory_sessions("training")() as session:
        yield worker_factory(TrainingService, db=session, publish=lambda event: None), session


def test_each_printed_report_gets_a_new_code_that_verifies_to_its_person_and_time(training):
    service, session = training
    first = ReportCodeOut.model_validate(service.issue_report_code(PERSON, ACTOR))
    second = ReportCodeOut.model_validate(service.issue_report_code(PERSON, ACTOR))
    assert first.code != second.code and str(first.person_id) == PERSON

    verified = VerifiedCodeOut.model_validate(service.verify_report_code(first.code))
    assert str(verified.person_id) == PERSON
    assert verified.issued_at == first.issued_at and verified.code == first.code


def test_only_a_digest_of_the_code_is_stored_and_the_audit_log_does_not_hold_it(training):
    service, session = training
    code = service.issue_report_code(PERSON, ACTOR)["code"]
    row = session.scalars(sa.select(ReportCode)).one()
    assert row.digest == reports.digest(reports.canonical(code)) and len(row.digest) == 64
    stored = " ".join(str(value) for value in (row.digest, row.person_id, row.issued_at))
    assert code not in stored and code.replace("-", "") not in stored
    entry = session.scalars(sa.select(base_of(session).AuditEntry)).one()
    assert entry.action == "report_code.issued" and entry.target_id == PERSON
    assert code.replace("-", "") not in (entry.details or "").replace("-", "")


def test_a_code_read_off_paper_still_verifies(training):
    service, _ = training
    code = service.issue_report_code(PERSON, ACTOR)["code"]
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert service.verify_report_code(typed)["code"] == code


@pytest.mark.parametrize("code", ["", "ABCD-EFGH-JKMN-PQRS", "not a code", "A" * 500, "ÄBCD-EFGH-JKMN-PQRS",
                                  "../../etc/passwd", "0000-0000-0000-000U"])
def test_an_unknown_or_malformed_code_is_not_found(training, code):
    service, _ = training
    service.issue_report_code(PERSON, ACTOR)
    with pytest.raises(NotFound, match="No Compliance Report has this verification code"):
        service.verify_report_code(code)


def test_codes_are_long_and_drawn_evenly_from_a_secure_source():
    codes = [reports.new_code() for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    raw = [reports.canonical(code) for code in codes]
    assert all(r is not None and len(r) == 16 for r in raw)
    assert math.log2(len(reports.ALPHABET)) * reports.LENGTH >= 80   # at least 12 characters, 80 bits
    # every symbol used, none far from its share (32,000 draws, 1,000 expected each)
    counts = Counter("".join(raw))
    assert set(counts) == set(reports.ALPHABET)
    assert all(800 < n < 1200 for n in counts.values()), counts


def test_a_report_for_something_that_is_not_a_person_id_is_refused(training):
    service, session = training
    with pytest.raises(NotFound):
        service.issue_report_code("not-an-id", ACTOR)
    assert session.scalars(sa.select(ReportCode)).all() == []
