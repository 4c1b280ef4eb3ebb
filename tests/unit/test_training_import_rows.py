"""Legacy import rows the training service owns (training.import_rows through the `import_rows`
RPC): completions of people referred to by IL number, bad rows rejected with their line and a
reason, expiries computed like any completion's unless the file gives one, and a batch sent
again (a replay after a crash, or the same file twice) changes nothing. Last, a `completions`
file run by the accounts service's import runner reaches the training service."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from accounts import imports
from nameko.testing.services import worker_factory
from training.courses import load_courses
from training.import_rows import MAX_ROWS, UNKNOWN_PERSON
from training.models import Completion
from training.service import TrainingService

from common import audit
from common.clock import today
from common.contracts.imports import StartImportIn
from common.errors import Forbidden, ValidationFailed
from common.events.training import CompletionExpired, CourseCompleted
from common.storage import LocalFolderStorage
from tests.support.databases import memory_sessions
from tests.support.import_rows import numbered_rows, register_imported

STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_admin"]}
IL = "3000000001"
TODAY = today()


@pytest.fixture(scope="module")
def catalog():
    return load_courses()


@pytest.fixture
def training(catalog):
    """(service, session, published)."""
    with memory_sessions("training")() as session:
        published = []
        service = worker_factory(TrainingService, db=session, publish=published.append, courses=catalog)
        yield service, session, published


def register(service, il_number=IL, person_id=None) -> uuid.UUID:
    return register_imported(service, il_number, person_id)


rows = numbered_rows


def completion(il=IL, **overrides):
    values = {"il_number": il, "course_code": "hp1", "completed_on": "2024-03-01", "expires_on": "", "score": "",
              "source": ""}
    values.update(overrides)
    return values


def counts(out) -> tuple[int, int, int]:
    return out["created"], out["updated"], out["unchanged"]


def stored(session) -> list[Completion]:
    return list(session.scalars(sa.select(Completion).order_by(Completion.course_code, Completion.completed_on)))


def test_completions_are_created_with_the_catalog_expiry_unless_the_file_gives_one(training, catalog):
    service, session, _ = training
    person_id = register(service)
    out = service.import_rows("completions", rows(
        completion(),
        completion(course_code="FORKLIFT", completed_on="2023-05-10", expires_on="2024-01-31", score="88",
                   source="Studio LMS"),
        completion(course_code="A", completed_on="2022-01-05")), STAFF)
    assert counts(out) == (3, 0, 0) and out["rejected"] == []
    a, forklift, hp1 = stored(session)
    assert (hp1.person_id, hp1.course_code, hp1.completed_on) == (person_id, "HP1", date(2024, 3, 1))
    assert hp1.expires_on == catalog.get("HP1").valid_through(date(2024, 3, 1)) == date(2026, 2, 28)
    assert (hp1.score, hp1.source, hp1.recorded_by) == (None, "legacy import", uuid.UUID(STAFF["account_id"]))
    assert (forklift.expires_on, forklift.score, forklift.source) == (date(2024, 1, 31), 88, "Studio LMS")
    assert a.expires_on is None  # no refresher: never expires


def test_the_same_file_again_changes_nothing(training):
    service, session, published = training
    register(service)
    batch = rows(completion(), completion(course_code="FORKLIFT", expires_on="2026-01-01", score="90"))
    assert counts(service.import_rows("completions", batch, STAFF)) == (2, 0, 0)
    published.clear()
    again = service.import_rows("completions", batch, STAFF)
    assert counts(again) == (0, 0, 2) and again["rejected"] == []
    assert published == []
    assert len(stored(session)) == 2


def test_a_completion_twice_in_one_file_is_created_once(training):
    service, session, published = training
    register(service)
    out = service.import_rows("completions", rows(completion(), completion(course_code="HP1")), STAFF)
    assert counts(out) == (1, 0, 1)
    assert len(stored(session)) == 1 and len(published) == 1


def test_a_completion_already_recorded_by_staff_is_not_imported_twice(training):
    service, session, _ = training
    person_id = register(service)
    service.record_completion({"person_id": str(person_id), "course_code": "HP1", "completed_on": "2024-03-01",
                               "source": "staff", "score": 75}, STAFF)
    out = service.import_rows("completions", rows(completion()), STAFF)
    assert counts(out) == (0, 0, 1)  # a blank score keeps the one on file
    (only,) = stored(session)
    assert (only.source, only.score) == ("staff", 75)


def test_another_expiry_or_score_for_the_same_completion_updates_it(training):
    service, session, published = training
    register(service)
    service.import_rows("completions", rows(completion(score="70")), STAFF)
    published.clear()
    out = service.import_rows("completions", rows(completion(expires_on="2027-01-01", score="95")), STAFF)
    assert counts(out) == (0, 1, 0)
    (only,) = stored(session)
    assert (only.expires_on, only.score) == (date(2027, 1, 1), 95)
    assert published == []  # an event is published for created completions only
    back = service.import_rows("completions", rows(completion()), STAFF)  # blank expiry: the catalog's again
    assert counts(back) == (0, 1, 0)
    assert (only.expires_on, only.score) == (date(2026, 2, 28), 95)


def test_every_bad_row_is_rejected_with_its_line_and_a_readable_reason(training):
    service, session, _ = training
    register(service)
    future = (TODAY + timedelta(days=1)).isoformat()
    out = service.import_rows("completions", rows(
        completion(),                                                     # 2: fine
        completion(il="3999999999"),                                      # 3
        completion(course_code="basket weaving"),                         # 4
        completion(completed_on=future),                                  # 5
        completion(completed_on="2023-02-30"),                            # 6
        completion(expires_on="2024-02-01"),                              # 7: before completed_on
        completion(score="101"),                                          # 8
        completion(il=""),                                                # 9
        {"course_code": "HP1", "completed_on": "2024-03-01"},             # 10: no il_number column
    ), STAFF)
    assert counts(out) == (1, 0, 0)
    reasons = {r["line"]: r["reason"] for r in out["rejected"]}
    assert [r["line"] for r in out["rejected"]] == list(range(3, 11))
    assert reasons[3] == UNKNOWN_PERSON == "il_number: no person with this IL number (import the people file first)"
    assert reasons[4] == "course_code: unknown course 'BASKET WEAVING'"
    assert reasons[5] == "completed_on: is in the future"
    assert reasons[6].startswith("completed_on: ") and "date" in reasons[6]
    assert reasons[7] == "expires_on: is before completed_on"
    assert reasons[8].startswith("score: ") and "100" in reasons[8]
    assert reasons[9].startswith("il_number: ")
    assert reasons[10] == "il_number: missing"
    assert len(stored(session)) == 1


def test_created_completions_publish_course_completed_as_staff_recorded_ones_do(training, catalog):
    service, _, published = training
    person_id = register(service)
    service.import_rows("completions", rows(completion(score="80"), completion(il="3999999999"),
                                            completion(course_code="FORKLIFT", source="Studio LMS")), STAFF)
    assert all(isinstance(e, CourseCompleted) for e in published)
    assert all(e.imported for e in published)  # history: notifications tells nobody
    assert {(e.person_id, e.course_code, e.completed_on, e.expires_on, e.score, e.completion_source, e.course_title)
            for e in published} == {
        (person_id, "HP1", date(2024, 3, 1), date(2026, 2, 28), 80, "legacy import", catalog.title("HP1")),
        (person_id, "FORKLIFT", date(2024, 3, 1), date(2027, 2, 28), None, "Studio LMS", catalog.title("FORKLIFT"))}
    # the same fact as a staff-recorded completion's, marked as history
    imported = published[0].model_dump(exclude={"event_id", "occurred_at", "person_id", "completion_source",
                                                 "imported"})
    published.clear()
    service.record_completion({"person_id": str(register(service, "3000000002")), "course_code": "HP1",
                               "completed_on": "2024-03-01", "source": "staff", "score": 80}, STAFF)
    (staff,) = published
    assert not staff.imported
    assert staff.model_dump(exclude={"event_id", "occurred_at", "person_id", "completion_source",
                                     "imported"}) == imported


def test_each_batch_leaves_one_audit_entry(training):
    service, session, _ = training
    register(service)
    service.import_rows("completions", rows(completion(), completion(il="3999999999")), STAFF)
    entries = audit.list_entries(session, "training", action="import.")
    assert [(e["action"], e["details"]) for e in entries] == [
        ("import.completions", {"rows": 2, "created": 1, "updated": 0, "unchanged": 0, "rejected": 1})]
    assert entries[0]["actor_account_id"] == STAFF["account_id"]


def test_an_imported_completion_already_expired_is_announced_once_by_the_sweep(training):
    service, _, published = training
    register(service)
    batch = rows(completion(completed_on="2019-04-02"))    # HP1: valid through 2021-04-01
    service.import_rows("completions", batch, STAFF)
    assert [type(e) for e in published] == [CourseCompleted]
    published.clear()
    assert service.sweep_expired(None, STAFF)["expired"] == 1
    assert [(type(e), e.expired_on) for e in published] == [(CompletionExpired, date(2021, 4, 2))]
    published.clear()
    assert counts(service.import_rows("completions", batch, STAFF)) == (0, 0, 1)
    assert service.sweep_expired(None, STAFF)["expired"] == 0 and published == []


def test_an_expiry_moved_into_the_future_is_announced_again_when_it_lapses(training):
    service, session, published = training
    register(service)
    service.import_rows("completions", rows(completion(completed_on="2019-04-02")), STAFF)
    service.sweep_expired(None, STAFF)
    later = TODAY + timedelta(days=30)
    out = service.import_rows("completions", rows(completion(completed_on="2019-04-02",
                                                             expires_on=later.isoformat())), STAFF)
    assert counts(out) == (0, 1, 0)
    assert stored(session)[0].expired_event_sent_at is None
    published.clear()
    assert service.sweep_expired(None, STAFF)["expired"] == 0
    assert service.sweep_expired(later.isoformat(), STAFF)["expired"] == 0  # valid through that day
    assert service.sweep_expired((later + timedelta(days=1)).isoformat(), STAFF)["expired"] == 1
    assert [e.expired_on for e in published] == [later + timedelta(days=1)]


def test_only_staff_import(training):
    service, session, _ = training
    register(service)
    with pytest.raises(Forbidden):
        service.import_rows("completions", rows(completion()), {"roles": ["industry_professional"]})
    with pytest.raises(Forbidden):
        service.import_rows("completions", rows(completion()), None)  # no actor: not staff either
    assert stored(session) == []


def test_more_than_5000_rows_or_another_kind_are_refused(training):
    service, session, _ = training
    register(service)
    with pytest.raises(ValidationFailed, match="5000"):
        service.import_rows("completions", rows(*[completion()] * (MAX_ROWS + 1)), STAFF)
    with pytest.raises(ValidationFailed, match="5000"):
        service.import_rows("completions", {"line": 2, "values": completion()}, STAFF)
    with pytest.raises(ValidationFailed, match="work_days"):
        service.import_rows("work_days", [], STAFF)
    assert stored(session) == []
    assert counts(service.import_rows("completions", rows(*[completion()] * MAX_ROWS), STAFF)) == (1, 0, MAX_ROWS - 1)


# --- through the accounts service's import runner ---------------------------------------------------

def test_a_completions_file_is_sent_to_the_training_service_by_the_import_runner(training, tmp_path):
    service, session, _ = training
    register(service)
    calls = []

    def remote(owner, method, *args):
        calls.append((owner, method, args[0]))
        assert owner == "training"
        return getattr(service, method)(*args)

    storage = LocalFolderStorage(tmp_path / "objects")
    text = ("il_number,course_code,completed_on,expires_on,score,source\n"
            f"{IL},HP1,2024-03-01,,,\n3999999999,HP1,2024-03-01,,,\n{IL},FORKLIFT,2023-05-10,,90,\n")
    with memory_sessions("accounts")() as accounts:
        job_id = uuid.uuid4()
        storage.put(f"imports/{job_id}.csv", text.encode(), "text/csv")
        imports.start(accounts, StartImportIn(id=job_id, kind="completions", key=f"imports/{job_id}.csv"), STAFF)
        accounts.commit()
        ctx = imports.Context(publish=lambda event: None, public_url="https://hub.test", remote=remote)
        while imports.run_pending(accounts, storage, ctx) is not None:
            pass
        report = imports.report(accounts, job_id)
    assert calls == [("training", "import_rows", "completions")]
    assert (report.status, report.total, report.created, report.rejected_count) == ("done", 3, 2, 1)
    assert [(r.line, r.reason) for r in report.rejected] == [(3, UNKNOWN_PERSON)]
    assert {c.course_code for c in stored(session)} == {"FORKLIFT", "HP1"}
