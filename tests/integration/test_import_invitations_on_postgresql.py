"""Claim invitations to everyone imported, meeting each other on PostgreSQL: batches at once share
the people out (SKIP LOCKED) and the ImportInvitation claims keep anyone from a second invitation;
presses at once start one drive; instances ticking at once carry that drive on together; and an
import sending invitations to people a drive is inviting waits for the drive's batch and leaves
them to it, instead of failing on a duplicate key."""
from __future__ import annotations

import threading
import time
import uuid

import sqlalchemy as sa
from accounts import import_invitations, imports
from accounts.clock import now
from accounts.models import Base, ImportInvitation, InvitationDrive, OneTimeToken, Person

from common.contracts.import_invitations import InviteImportedIn
from common.contracts.imports import StartImportIn
from common.db import create_engine_for, make_session_factory
from common.events.accounts import InvitationSent
from common.migrations import upgrade_to_head
from common.storage import LocalFolderStorage
from tests.support.factories import make_ssn

STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_admin"]}
URL = "https://hub.test"


def database(postgres_url):
    url = postgres_url()
    upgrade_to_head("accounts", url)
    engine = create_engine_for(url)
    return engine, make_session_factory(engine, Base)


def add_imported(factory, n: int) -> None:
    with factory() as session:
        for i in range(n):
            session.add(Person(id=uuid.uuid4(), il_number=f"{9000000000 + i}", first_name="Pat", last_name="Lee",
                               date_of_birth=now().date(), ssn_encrypted=b"x", ssn_index=f"{i:064d}",
                               email=f"pat{i}@example.com", email_undeliverable=False, origin="import",
                               email_notifications=True, created_at=now()))
        session.commit()


def at_once(count: int, work) -> tuple[list, list]:
    """Run work(i) in `count` threads released together; returns (results, errors)."""
    start = threading.Barrier(count)
    results, errors = [], []

    def run(i):
        try:
            start.wait(timeout=30)
            results.append(work(i))
        except Exception as exc:  # pragma: no cover - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def count(session, model) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_batches_at_once_invite_everyone_once(postgres_url):
    engine, factory = database(postgres_url)
    add_imported(factory, 45)

    def batch(_):
        with factory() as session:
            counts, events = import_invitations.invite_batch(session, InviteImportedIn(), URL, STAFF, limit=20)
            session.commit()
            return counts, [e.person_id for e in events]

    results, errors = at_once(4, batch)
    try:
        assert errors == []
        invited = [person for _, people in results for person in people]
        assert len(invited) == len(set(invited)) == 45
        assert sum(counts.invited for counts, _ in results) == 45
        with factory() as session:
            assert count(session, OneTimeToken) == count(session, ImportInvitation) == 45
            assert import_invitations.status(session).model_dump() == {"pending": 0, "invited": 45, "drive": None}
    finally:
        engine.dispose()


def test_presses_at_once_start_one_drive(postgres_url):
    engine, factory = database(postgres_url)
    add_imported(factory, 10)

    def press(_):
        with factory() as session:
            answer = import_invitations.start_drive(session, InviteImportedIn(), STAFF)
            session.commit()
            return answer

    answers, errors = at_once(4, press)
    try:
        assert errors == [] and len(answers) == 4
        assert len({a.id for a in answers}) == 1 and sum(a.started_now for a in answers) == 1
        assert {a.remaining for a in answers} == {10}
        with factory() as session:
            assert count(session, InvitationDrive) == 1
    finally:
        engine.dispose()


def test_instances_ticking_at_once_carry_one_drive_to_the_end_inviting_everyone_once(postgres_url):
    engine, factory = database(postgres_url)
    add_imported(factory, 45)
    with factory() as session:
        drive_id = import_invitations.start_drive(session, InviteImportedIn(), STAFF).id
        session.commit()

    def instance(_):
        published, outcomes = [], []
        with factory() as session:
            while True:
                outcome = import_invitations.run_drive(session, URL, published.append, budget_seconds=0,
                                                       batch_size=5)
                outcomes.append(outcome)
                session.expire_all()
                if session.get(InvitationDrive, drive_id).status == "done":
                    return [e.person_id for e in published], outcomes

    results, errors = at_once(3, instance)
    try:
        assert errors == []
        invited = [person for people, _ in results for person in people]
        assert len(invited) == len(set(invited)) == 45
        assert "done" in [o for _, outcomes in results for o in outcomes]
        with factory() as session:
            drive = session.get(InvitationDrive, drive_id)
            assert (drive.status, drive.invited, drive.total_at_start, drive.active) == ("done", 45, 45, None)
            assert count(session, OneTimeToken) == count(session, ImportInvitation) == 45
    finally:
        engine.dispose()


HEADER = "il_number,ssn,first_name,last_name,date_of_birth,email,phone,address\n"


def test_an_import_inviting_people_a_drive_is_inviting_waits_and_leaves_them_to_it(postgres_url, tmp_path):
    engine, factory = database(postgres_url)
    storage = LocalFolderStorage(tmp_path / "objects")
    text = HEADER + "".join(f"{1000000001 + i},{make_ssn()},Pat{i},Lee,1980-01-02,pat{i}@example.com,,\n"
                            for i in range(6))

    def run_import(send_invitations: bool, published: list):
        job_id = uuid.uuid4()
        storage.put(f"imports/{job_id}.csv", text.encode(), "text/csv")
        with factory() as session:
            imports.start(session, StartImportIn(id=job_id, kind="people", key=f"imports/{job_id}.csv",
                                                 send_invitations=send_invitations), STAFF)
            session.commit()
            ctx = imports.Context(publish=published.append, public_url=URL)
            while imports.run_pending(session, storage, ctx, batch_size=10) is not None:
                pass
            return imports.report(session, job_id)

    run_import(False, [])   # the people are on file, never invited
    with factory() as session:
        drive_id = import_invitations.start_drive(session, InviteImportedIn(), STAFF).id
        session.commit()

    # the same file again, sending invitations, while the drive's first batch (3 people) is
    # invited but not committed yet
    by_import: list = []
    outcome: dict = {}

    def the_import():
        try:
            outcome["report"] = run_import(True, by_import)
        except Exception as exc:  # pragma: no cover - reported below
            outcome["error"] = exc

    importer = threading.Thread(target=the_import)
    by_drive: list = []

    def publish(event):
        by_drive.append(event)
        if len(by_drive) == 1:
            importer.start()
            wait_until_someone_waits_for_a_lock(engine)

    try:
        with factory() as session:
            drive = import_invitations.claim_drive(session, "drive-runner")
            import_invitations.carry_on(session, drive, "drive-runner", URL, publish, budget_seconds=0,
                                        batch_size=3)
        importer.join(timeout=120)
        assert "error" not in outcome, outcome.get("error")
        report = outcome["report"]
        assert (report.status, report.error, report.unchanged, report.rejected_count) == ("done", None, 6, 0)
        with factory() as session:
            while import_invitations.run_drive(session, URL, by_drive.append) is not None:
                pass
            drive = session.get(InvitationDrive, drive_id)
            from_drive = [e.person_id for e in by_drive if isinstance(e, InvitationSent)]
            from_import = [e.person_id for e in by_import if isinstance(e, InvitationSent)]
            assert len(from_drive) == len(from_import) == 3 and set(from_drive).isdisjoint(from_import)
            assert (drive.status, drive.invited) == ("done", 3)
            assert count(session, OneTimeToken) == count(session, ImportInvitation) == 6
    finally:
        if importer.is_alive():  # pragma: no cover
            importer.join(timeout=30)
        engine.dispose()


def wait_until_someone_waits_for_a_lock(engine, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))
            connection.rollback()
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the import never waited for the drive's batch")
