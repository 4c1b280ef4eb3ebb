"""Invitation drives (accounts.import_invitations): one press of "Send invitations" queues a drive
that timer ticks carry on, a committed batch at a time, to the end; one drive at a time (a second
press answers with the one under way); a runner that dies mid-drive is resumed by the next once
its lease lapses, and nobody is invited twice; an import inviting the same people as a drive
leaves them to it instead of failing."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from accounts import import_invitations, imports
from accounts.clock import now
from accounts.models import Base, ImportInvitation, ImportJob, InvitationDrive, OneTimeToken

from common.contracts.import_invitations import InviteImportedIn
from common.contracts.imports import StartImportIn
from common.db import make_session_factory
from common.events.accounts import InvitationSent
from common.storage import LocalFolderStorage
from tests.support.databases import memory_sessions
from tests.support.factories import make_ssn
from tests.unit.test_import_invitations import STAFF, invited_ids, make_imported

EVERYONE = InviteImportedIn()
URL = "https://hub.test"


@pytest.fixture
def session():
    with memory_sessions("accounts")() as session:
        yield session


def press(session, data=EVERYONE, actor=STAFF):
    answer = import_invitations.start_drive(session, data, actor)
    session.commit()
    return answer


def tick(session, published, batch_size=3, budget_seconds=0.0):
    """One timer tick's share of the drive: with no time budget, one batch."""
    return import_invitations.run_drive(session, URL, published.append, budget_seconds=budget_seconds,
                                        batch_size=batch_size)


def tokens(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(OneTimeToken))


def sent_to(published) -> list:
    return [e.person_id for e in published if isinstance(e, InvitationSent)]


def test_a_drive_runs_to_the_end_over_several_ticks_a_committed_batch_each(session):
    people = {make_imported(session).id for _ in range(7)}
    session.commit()
    answer = press(session)
    assert (answer.status, answer.invited, answer.remaining, answer.started_now) == ("queued", 0, 7, True)
    drive = session.get(InvitationDrive, answer.id)
    assert (drive.total_at_start, drive.active, drive.import_id) == (7, True, None)
    published: list = []
    seen = []
    while (outcome := tick(session, published)) is not None:
        session.expire_all()
        drive = session.get(InvitationDrive, answer.id)
        seen.append((outcome, drive.status, drive.invited))
    assert seen == [("running", "running", 3), ("running", "running", 6), ("done", "done", 7)]
    assert (drive.active, drive.lease_token, drive.lease_until, drive.error) == (None, None, None, None)
    assert drive.started_at <= drive.finished_at
    assert sorted(sent_to(published)) == sorted(people) and invited_ids(session) == people
    status = import_invitations.status(session)
    assert (status.pending, status.invited, status.drive.status, status.drive.invited) == (0, 7, "done", 7)
    assert tick(session, published) is None   # nothing left to carry on


def test_one_tick_sends_batches_until_its_time_is_up(session):
    for _ in range(7):
        make_imported(session)
    session.commit()
    press(session)
    assert tick(session, [], batch_size=3, budget_seconds=60) == "done"
    assert tokens(session) == 7


def test_a_second_press_while_a_drive_runs_answers_with_that_drive(session):
    for _ in range(5):
        make_imported(session)
    session.commit()
    first = press(session)
    again = press(session, actor={"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]})
    assert (again.id, again.status, again.started_now) == (first.id, "queued", False)
    tick(session, [])
    running = press(session)
    assert (running.id, running.status, running.invited, running.remaining, running.started_now) == (
        first.id, "running", 3, 2, False)
    assert session.scalar(sa.select(sa.func.count()).select_from(InvitationDrive)) == 1
    tick(session, [])
    # done: the next press starts a new drive, if anyone is waiting by then
    assert press(session).model_dump() == {"id": None, "status": "done", "invited": 0, "remaining": 0,
                                           "started_now": False}
    make_imported(session)
    session.commit()
    later = press(session)
    assert later.id != first.id and (later.started_now, later.remaining) == (True, 1)


def test_a_crash_mid_drive_resumes_once_the_lease_lapses_nobody_invited_twice(session, monkeypatch):
    people = {make_imported(session).id for _ in range(8)}
    session.commit()
    drive_id = press(session).id
    published: list = []

    def dies_in_the_second_batch(event):
        published.append(event)
        if len(published) == 4:
            raise SystemExit("the runner's process died")

    drive = import_invitations.claim_drive(session, "first-runner")
    with pytest.raises(SystemExit):
        import_invitations.carry_on(session, drive, "first-runner", URL, dies_in_the_second_batch,
                                    budget_seconds=60, batch_size=3)
    session.rollback()   # the process died: the second batch never committed
    drive = session.get(InvitationDrive, drive_id)
    assert (drive.status, drive.invited, drive.lease_token) == ("running", 3, "first-runner")
    assert tokens(session) == 3
    assert tick(session, []) is None   # its lease still holds: nobody else takes it meanwhile
    drive.lease_until = now() - timedelta(seconds=1)
    session.commit()
    resumed: list = []
    while tick(session, resumed) is not None:
        pass
    session.expire_all()
    drive = session.get(InvitationDrive, drive_id)
    assert (drive.status, drive.invited) == ("done", 8)
    assert len(sent_to(resumed)) == 5 and not set(sent_to(resumed)) & set(sent_to(published[:3]))
    assert tokens(session) == 8 and invited_ids(session) == people
    assert len(set(session.scalars(sa.select(OneTimeToken.person_id)))) == 8


def test_a_runner_that_lost_its_lease_commits_nothing(session):
    for _ in range(4):
        make_imported(session)
    session.commit()
    press(session)
    slow = import_invitations.claim_drive(session, "slow-runner")
    slow.lease_until = now() - timedelta(seconds=1)   # it stalled past its lease
    session.commit()
    assert import_invitations.claim_drive(session, "next-runner") is not None
    published: list = []
    assert import_invitations.carry_on(session, slow, "slow-runner", URL, published.append, batch_size=3) == "lost"
    assert tokens(session) == 0 and invited_ids(session) == set()
    assert session.get(InvitationDrive, slow.id).lease_token == "next-runner"


def test_nobody_waiting_starts_no_drive(session):
    make_imported(session, email=None)
    session.commit()
    assert press(session).model_dump() == {"id": None, "status": "done", "invited": 0, "remaining": 0,
                                           "started_now": False}
    assert import_invitations.status(session).drive is None


def test_a_drive_invites_those_waiting_at_the_press_not_people_imported_after(session):
    before = {make_imported(session, created_at=now() - timedelta(minutes=1)).id for _ in range(2)}
    session.commit()
    drive_id = press(session).id
    later = make_imported(session, created_at=now() + timedelta(seconds=1))
    session.commit()
    while tick(session, []) is not None:
        pass
    drive = session.get(InvitationDrive, drive_id)
    assert (drive.status, drive.invited, drive.total_at_start) == ("done", 2, 2)
    assert invited_ids(session) == before
    assert import_invitations.status(session).pending == 1 and later.id not in invited_ids(session)


def test_a_drive_for_one_import_names_it_on_the_invitations(session):
    job = ImportJob(id=uuid.uuid4(), kind="people", storage_key="k", status="done", created_at=now())
    session.add(job)
    person = make_imported(session)
    session.commit()
    press(session, InviteImportedIn(import_id=job.id))
    tick(session, [])
    assert session.get(ImportInvitation, person.id).job_id == job.id


def test_a_drive_that_breaks_says_so_and_a_new_press_carries_on(session, monkeypatch):
    people = {make_imported(session).id for _ in range(5)}
    session.commit()
    first = press(session).id
    send = import_invitations.recovery.send_invitation
    calls = []

    def mail_link_breaks(s, person_id, public_url, actor):
        calls.append(person_id)
        if len(calls) == 4:
            raise RuntimeError("something unforeseen")
        return send(s, person_id, public_url, actor)

    monkeypatch.setattr(import_invitations.recovery, "send_invitation", mail_link_breaks)
    assert tick(session, [], budget_seconds=60) == "failed"
    drive = session.get(InvitationDrive, first)
    assert (drive.status, drive.invited, drive.active, drive.lease_token) == ("failed", 3, None, None)
    assert drive.error.startswith("An unexpected error stopped it.") and "unforeseen" not in drive.error
    assert import_invitations.status(session).drive.status == "failed"
    monkeypatch.setattr(import_invitations.recovery, "send_invitation", send)
    again = press(session)
    assert (again.started_now, again.remaining) == (True, 2) and again.id != first
    while tick(session, []) is not None:
        pass
    assert tokens(session) == 5 and invited_ids(session) == people


def test_drives_are_audited_as_the_staff_member_who_pressed(session):
    make_imported(session)
    session.commit()
    drive_id = press(session).id
    tick(session, [])
    entries = session.execute(sa.select(Base.AuditEntry.action, Base.AuditEntry.actor_account_id)
                              .order_by(Base.AuditEntry.id)).all()
    actions = [action for action, _ in entries]
    assert actions[0] == "import.invitation_drive_started" and actions[-1] == "import.invitation_drive_finished"
    assert "invitation.sent" in actions
    assert {str(account) for _, account in entries} == {STAFF["account_id"]}
    assert session.get(InvitationDrive, drive_id).requested_by.startswith("{")


# --- presses and imports meeting: two connections to one SQLite database -------------------------

@pytest.fixture
def factory(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'accounts.db'}")
    Base.metadata.create_all(engine)
    yield make_session_factory(engine, Base)
    engine.dispose()


def test_two_presses_at_once_start_one_drive(factory, monkeypatch):
    with factory() as setup:
        for _ in range(3):
            make_imported(setup)
        setup.commit()
    job_id = import_invitations._job_id
    second: list = []

    def the_other_press_first(session, import_id):
        # runs after the first press found no drive under way, before it inserts its own
        monkeypatch.setattr(import_invitations, "_job_id", job_id)
        with factory() as other:
            second.append(press(other))
        return job_id(session, import_id)

    monkeypatch.setattr(import_invitations, "_job_id", the_other_press_first)
    with factory() as first:
        answer = press(first)
        assert second[0].started_now and not answer.started_now
        assert (answer.id, answer.status, answer.remaining) == (second[0].id, "queued", 3)
        assert first.scalar(sa.select(sa.func.count()).select_from(InvitationDrive)) == 1


HEADER = "il_number,ssn,first_name,last_name,date_of_birth,email,phone,address\n"


def test_an_import_inviting_people_a_drive_just_claimed_leaves_them_to_it(factory, tmp_path, monkeypatch):
    # the same people come in again in an import that sends invitations, while a drive invites them:
    # the drive's batch commits between the import's look at who was invited and its own claim
    storage = LocalFolderStorage(tmp_path / "objects")
    text = HEADER + "".join(f"{1000000001 + i},{make_ssn()},Pat{i},Lee,1980-01-02,pat{i}@example.com,,\n"
                            for i in range(4))

    def run_import(session, send_invitations, published):
        job_id = uuid.uuid4()
        storage.put(f"imports/{job_id}.csv", text.encode(), "text/csv")
        imports.start(session, StartImportIn(id=job_id, kind="people", key=f"imports/{job_id}.csv",
                                             send_invitations=send_invitations), STAFF)
        session.commit()
        ctx = imports.Context(publish=published.append, public_url=URL)
        while imports.run_pending(session, storage, ctx, batch_size=10) is not None:
            pass
        return imports.report(session, job_id)

    with factory() as session:
        run_import(session, False, [])
        press(session)
    claimed = imports.invite_claimed
    by_drive: list = []

    def the_drive_first(session, person_ids, job_id, public_url, actor):
        with factory() as other:
            assert tick(other, by_drive, batch_size=2) == "running"
        return claimed(session, person_ids, job_id, public_url, actor)

    monkeypatch.setattr(imports, "invite_claimed", the_drive_first)
    by_import: list = []
    with factory() as session:
        report = run_import(session, True, by_import)
        assert (report.status, report.unchanged, report.rejected_count, report.error) == ("done", 4, 0, None)
        assert len(sent_to(by_drive)) == 2 and len(sent_to(by_import)) == 2
        assert set(sent_to(by_drive)).isdisjoint(sent_to(by_import))
        assert tokens(session) == 4 and len(invited_ids(session)) == 4
        while tick(session, []) is not None:   # the drive finds nobody left
            pass
        assert import_invitations.status(session).drive.model_dump(include={"status", "invited"}) == {
            "status": "done", "invited": 2}
