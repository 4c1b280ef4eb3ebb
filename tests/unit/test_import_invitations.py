"""Claim invitations to imported people, sent later in bulk by staff (accounts.import_invitations):
only to those with a working e-mail and no account, never twice (not even when two batches meet),
a bounded batch per call with what remains; through the service's entrypoints a press starts a
drive the import timer carries to the end, staff only. (The drive itself:
test_import_invitation_drives.py.)"""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from accounts import import_invitations
from accounts.clock import now
from accounts.models import Account, ImportInvitation, ImportJob, InvitationDrive, OneTimeToken, Person
from accounts.service import AccountsService
from nameko.testing.services import worker_factory

from common.contracts.import_invitations import InviteImportedIn
from common.db import make_session_factory
from common.errors import Forbidden, NotFound, ValidationFailed
from common.events.accounts import InvitationSent
from tests.support.databases import memory_sessions

STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_admin"]}
EVERYONE = InviteImportedIn()


@pytest.fixture
def session():
    with memory_sessions("accounts")() as session:
        yield session


def make_imported(session, **overrides) -> Person:
    n = uuid.uuid4().int
    values = {"id": uuid.uuid4(), "il_number": f"{n % 10**10:010d}", "first_name": "Pat", "last_name": "Lee",
              "date_of_birth": now().date(), "ssn_encrypted": b"x", "ssn_index": f"{n:064x}"[:64],
              "email": f"pat{n % 10**8}@example.com", "email_undeliverable": False, "origin": "import",
              "email_notifications": True, "created_at": now()}
    values.update(overrides)
    person = Person(**values)
    session.add(person)
    session.flush()
    return person


def give_account(session, person: Person) -> None:
    session.add(Account(person_id=person.id, email=person.email, password_hash="x", created_at=now()))
    session.flush()


def invite(session, data=EVERYONE, limit=import_invitations.BATCH):
    counts, events = import_invitations.invite_batch(session, data, "https://hub.test", STAFF, limit=limit)
    session.commit()
    return counts, events


def invited_ids(session) -> set:
    return set(session.scalars(sa.select(ImportInvitation.person_id)))


def test_only_imported_people_with_a_working_email_and_no_account_are_invited(session):
    wanted = make_imported(session)
    give_account(session, make_imported(session))
    make_imported(session, email=None)
    make_imported(session, email="")
    make_imported(session, email_undeliverable=True)
    make_imported(session, origin="create_account")   # signed up themselves: not an import's to invite
    counts, events = invite(session)
    assert (counts.invited, counts.remaining) == (1, 0)
    assert [e.person_id for e in events if isinstance(e, InvitationSent)] == [wanted.id]
    assert events[0].claim_url.startswith("https://hub.test/claim?token=")
    assert invited_ids(session) == {wanted.id}
    assert session.scalar(sa.select(OneTimeToken.person_id)) == wanted.id


def test_nobody_is_invited_twice_whatever_the_presses_the_import_or_staff_did(session):
    by_import = make_imported(session)
    session.add(ImportInvitation(person_id=by_import.id, job_id=uuid.uuid4(), sent_at=now()))
    by_staff = make_imported(session)   # invited from their staff page, one at a time
    import_invitations.recovery.send_invitation(session, by_staff.id, "https://hub.test", STAFF)
    others = [make_imported(session) for _ in range(2)]
    assert invite(session)[0].invited == 2
    counts, events = invite(session)
    assert (counts.invited, counts.remaining, events) == (0, 0, [])
    assert session.scalar(sa.select(sa.func.count()).select_from(OneTimeToken)) == 3
    assert invited_ids(session) == {by_import.id, *(p.id for p in others)}


def test_each_call_is_a_bounded_batch_and_says_how_many_remain(session):
    for _ in range(7):
        make_imported(session)
    assert invite(session, limit=3)[0]._asdict() == {"invited": 3, "remaining": 4}
    assert invite(session, limit=3)[0]._asdict() == {"invited": 3, "remaining": 1}
    assert invite(session, limit=3)[0]._asdict() == {"invited": 1, "remaining": 0}
    assert import_invitations.status(session).model_dump() == {"pending": 0, "invited": 7, "drive": None}
    assert import_invitations.BATCH == 500


def test_two_batches_at_once_invite_each_person_once(tmp_path, monkeypatch):
    # two connections to one database: the second batch runs whole, and commits, after the first
    # chose its people but before it claimed them
    from accounts.models import Base

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'accounts.db'}")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine, Base)
    with factory() as setup:
        people = {make_imported(setup).id for _ in range(4)}
        setup.commit()
    claim = import_invitations._claim
    second: list = []

    def the_other_press_first(session, person_ids, job_id):
        monkeypatch.setattr(import_invitations, "_claim", claim)
        with factory() as other:
            second.append(invite(other))
        return claim(session, person_ids, job_id)

    monkeypatch.setattr(import_invitations, "_claim", the_other_press_first)
    with factory() as first:
        counts, events = invite(first)
        assert (counts.invited, events) == (0, [])
        assert second[0][0].invited == 4 and {e.person_id for e in second[0][1]} == people
        assert first.scalar(sa.select(sa.func.count()).select_from(OneTimeToken)) == 4
        assert invited_ids(first) == people
    engine.dispose()


def test_someone_who_opens_an_account_meanwhile_is_not_invited_and_not_counted(session, monkeypatch):
    late = make_imported(session)
    send = import_invitations.recovery.send_invitation

    def account_opened_just_now(s, person_id, public_url, actor):
        give_account(s, s.get(Person, person_id))
        return send(s, person_id, public_url, actor)

    monkeypatch.setattr(import_invitations.recovery, "send_invitation", account_opened_just_now)
    counts, events = invite(session)
    assert (counts.invited, events) == (0, [])
    assert late.id not in invited_ids(session)


def test_one_import_is_named_on_the_invitations_and_must_be_an_import_of_people(session):
    job = ImportJob(id=uuid.uuid4(), kind="people", storage_key="k", status="done", created_at=now())
    rosters_job = ImportJob(id=uuid.uuid4(), kind="work_days", storage_key="k", status="done", created_at=now())
    session.add_all([job, rosters_job])
    person = make_imported(session)
    assert invite(session, InviteImportedIn(import_id=job.id))[0].invited == 1
    assert session.get(ImportInvitation, person.id).job_id == job.id
    with pytest.raises(NotFound):
        invite(session, InviteImportedIn(import_id=uuid.uuid4()))
    with pytest.raises(ValidationFailed):
        invite(session, InviteImportedIn(import_id=rosters_job.id))


# --- through the service --------------------------------------------------------------------------

@pytest.fixture
def accounts(session):
    published: list = []
    return worker_factory(AccountsService, db=session, publish=published.append, config={}), published


def test_a_press_through_the_service_starts_a_drive_that_the_import_timer_carries_to_the_end(accounts, session):
    service, published = accounts
    for _ in range(2):
        make_imported(session)
    session.commit()
    assert service.imported_invitation_status(STAFF) == {"pending": 2, "invited": 0, "drive": None}
    pressed = service.invite_imported({}, STAFF)
    assert {k: pressed[k] for k in ("status", "invited", "remaining", "started_now")} == {
        "status": "queued", "invited": 0, "remaining": 2, "started_now": True}
    assert published == []   # nothing sent by the press itself: the timer does it
    service.run_imports()
    assert sum(isinstance(e, InvitationSent) for e in published) == 2
    status = service.imported_invitation_status(STAFF)
    assert (status["pending"], status["invited"]) == (0, 2)
    drive = status["drive"]
    assert (drive["id"], drive["status"], drive["invited"], drive["total_at_start"]) == (pressed["id"], "done", 2, 2)
    assert drive["started_at"] and drive["finished_at"]
    with pytest.raises(ValidationFailed):
        service.invite_imported({"import_id": "not-an-id"}, STAFF)


@pytest.mark.parametrize("who", [None, {"account_id": str(uuid.uuid4()), "roles": ["industry_professional"]},
                                 {"account_id": str(uuid.uuid4()), "roles": ["union_rep"]}])
def test_only_staff_may_invite_or_see_the_counts(accounts, session, who):
    service, published = accounts
    make_imported(session)
    session.commit()
    with pytest.raises(Forbidden) as refused:
        service.invite_imported({}, who)
    assert refused.value.message == "Only Contract Services staff can send claim invitations."
    with pytest.raises(Forbidden) as refused:
        service.imported_invitation_status(who)
    assert refused.value.message == "Only Contract Services staff can see the claim invitations."
    service.run_imports()
    assert published == [] and invited_ids(session) == set()
    assert session.scalar(sa.select(sa.func.count()).select_from(InvitationDrive)) == 0


def test_an_import_that_breaks_on_a_tick_does_not_hold_the_drive_up(accounts, session, monkeypatch):
    from accounts import imports

    service, published = accounts
    make_imported(session)
    session.commit()
    service.invite_imported({}, STAFF)

    def broken(*args, **kwargs):
        raise RuntimeError("the import's storage is down")

    monkeypatch.setattr(imports, "run_pending", broken)
    with pytest.raises(RuntimeError):
        service.run_imports()
    assert service.imported_invitation_status(STAFF)["drive"]["status"] == "done"
    assert sum(isinstance(e, InvitationSent) for e in published) == 1
