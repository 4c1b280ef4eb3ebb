"""Legacy import of people (accounts.imports): created with the file's IL number, the same file
again changes nothing, a crash mid-file resumes where it stopped (nothing twice), invitations go
once per person whatever the reruns, and rejected rows carry the file's line number."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from accounts import imports
from accounts.clock import now
from accounts.models import ImportJob, OneTimeToken, Person

from common.contracts.imports import StartImportIn
from common.events.accounts import InvitationSent, PersonRegistered
from common.storage import LocalFolderStorage
from tests.support.databases import memory_sessions
from tests.support.factories import make_ssn

STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_admin"]}
HEADER = "il_number,ssn,first_name,last_name,date_of_birth,email,phone,address,legacy_code\n"


@pytest.fixture
def session():
    with memory_sessions("accounts")() as session:
        yield session


@pytest.fixture
def storage(tmp_path):
    return LocalFolderStorage(tmp_path / "objects")


def people_csv(n: int, start: int = 1) -> tuple[str, list[str]]:
    ssns = sorted({make_ssn() for _ in range(n * 2)})[:n]
    lines = [f"{1000000000 + start + i},{ssn},Pat{i},Lee{i},1980-01-{(i % 28) + 1:02d},pat{start + i}@example.com,,"
             f"\"12 Main St, Apt {i}\",X" for i, ssn in enumerate(ssns)]
    return HEADER + "\n".join(lines) + "\n", ssns


def queue(session, storage, text: str, send_invitations=False) -> uuid.UUID:
    job_id = uuid.uuid4()
    key = f"imports/{job_id}.csv"
    storage.put(key, text.encode(), "text/csv")
    imports.start(session, StartImportIn(id=job_id, kind="people", key=key, send_invitations=send_invitations),
                  STAFF)
    session.commit()
    return job_id


def run(session, storage, published, batch_size=500):
    ctx = imports.Context(publish=published.append, public_url="https://hub.test")
    while imports.run_pending(session, storage, ctx, batch_size=batch_size) is not None:
        pass


def test_people_are_created_with_the_file_il_numbers_and_bad_rows_rejected_by_line(session, storage):
    text, ssns = people_csv(3)
    text += f"1000000099,{ssns[0]},Dup,Licate,1980-01-01,,,\n"   # line 5: the SSN is someone else's
    text += "1000000100,12345,Bad,Ssn,1980-01-01,,,\n"             # line 6
    text += "1000000101,123-45-6780,No,Birth,,,,\n"                 # line 7
    published = []
    job_id = queue(session, storage, text, send_invitations=True)
    run(session, storage, published)
    report = imports.report(session, job_id)
    assert (report.status, report.total, report.done) == ("done", 6, 6)
    assert (report.created, report.updated, report.unchanged, report.rejected_count) == (3, 0, 0, 3)
    assert [r.line for r in report.rejected] == [5, 6, 7]
    assert "1000000001" in report.rejected[0].reason and ssns[0] not in report.rejected[0].reason
    assert report.rejected[1].reason.startswith("ssn")
    assert report.rejected[2].reason.startswith("date_of_birth")
    assert report.warnings == ["Extra column(s) ignored: legacy_code"]
    people = session.scalars(sa.select(Person).order_by(Person.il_number)).all()
    assert [p.il_number for p in people] == ["1000000001", "1000000002", "1000000003"]
    assert people[0].address_line1 == "12 Main St, Apt 0" and people[0].origin == "import"
    assert sum(isinstance(e, PersonRegistered) for e in published) == 3
    assert sum(isinstance(e, InvitationSent) for e in published) == 3
    assert {r["line"] for r in imports.rejections(session, job_id)} == {5, 6, 7}


def test_the_same_file_again_changes_nothing_and_invites_nobody_twice(session, storage):
    text, _ = people_csv(4)
    published = []
    queue(session, storage, text, send_invitations=True)
    run(session, storage, published)
    again: list = []
    second = queue(session, storage, text, send_invitations=True)
    run(session, storage, again)
    report = imports.report(session, second)
    assert (report.created, report.updated, report.unchanged, report.rejected_count) == (0, 0, 4, 0)
    assert again == []
    assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 4
    assert session.scalar(sa.select(sa.func.count()).select_from(OneTimeToken)) == 4


def test_a_changed_row_updates_the_person(session, storage):
    text, ssns = people_csv(1)
    run(session, storage, [], batch_size=10) if queue(session, storage, text) else None
    changed = text.replace("Lee0", "Leigh")
    job = queue(session, storage, changed)
    run(session, storage, [])
    report = imports.report(session, job)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert session.scalars(sa.select(Person.last_name)).one() == "Leigh"


def test_a_crash_after_the_first_batch_resumes_where_it_stopped_nothing_twice(session, storage):
    text, _ = people_csv(7)
    published = []
    job_id = queue(session, storage, text, send_invitations=True)
    ctx = imports.Context(publish=published.append)
    job = imports.claim(session, "first-runner")
    with pytest.raises(SystemExit):
        imports.process(session, job, "first-runner", storage, ctx, batch_size=3, crash_after=1)
    session.rollback()   # the process died: the second batch was never committed
    job = session.get(ImportJob, job_id)
    assert (job.status, job.done, job.created) == ("running", 3, 3)
    # the runner's lease lapses; another run picks the job up and carries on from row 4
    job.lease_until = now() - timedelta(seconds=1)
    session.commit()
    published_before = len(published)
    run(session, storage, published, batch_size=3)
    report = imports.report(session, job_id)
    assert (report.status, report.done, report.created, report.unchanged) == ("done", 7, 7, 0)
    assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 7
    assert session.scalar(sa.select(sa.func.count()).select_from(OneTimeToken)) == 7
    assert published_before >= 3  # events of the lost batch were rolled back with it (the outbox)


def test_a_job_leased_to_a_live_runner_is_not_taken(session, storage):
    text, _ = people_csv(2)
    queue(session, storage, text)
    assert imports.claim(session, "a") is not None
    assert imports.claim(session, "b") is None


def test_a_file_lacking_a_column_fails_with_the_names(session, storage):
    job_id = uuid.uuid4()
    storage.put(f"imports/{job_id}.csv", b"il_number,first_name\n1,Ana\n", "text/csv")
    imports.start(session, StartImportIn(id=job_id, kind="people", key=f"imports/{job_id}.csv"), STAFF)
    session.commit()
    run(session, storage, [])
    report = imports.report(session, job_id)
    assert report.status == "failed" and "ssn" in report.error
