"""Claim invitations to imported people, sent later in bulk by staff (issue 11, journey 2).

An import may invite as it goes (accounts.imports, `send_invitations`); staff may also invite,
from the imports page, everyone imported who has a working e-mail address, no account and no
invitation yet (from an import, or from staff one at a time). A press starts a drive
(InvitationDrive) and returns at once; the service's import timer carries the drive on in
batches of BATCH, each committed with its InvitationSent events in the outbox (the notifications
service's mail loop sends them at the pace the mail server takes), for up to BUDGET_SECONDS a
tick, until nobody who was waiting at the press remains. One drive at a time: a press while one
is under way answers with that one.

The drive is leased like an import job: a runner that dies leaves its lease to lapse, and the
next tick (of any instance) carries on from what was committed.

Never twice for a person: each ImportInvitation primary key is claimed by a conditional insert
before the invitation is issued (`invite_claimed`, which the imports use too). A drive and an
import inviting at once pick apart with SKIP LOCKED on PostgreSQL, and should they meet, the
second insert waits for the first transaction and then inserts nothing, so that person is left
to the first.

Imports do not record which people each job created or updated, so a drive limited to one import
falls back to everyone imported (Person.origin == "import"); the import's id is kept on the rows."""
from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accounts import recovery
from accounts.clock import now
from accounts.leases import LEASE, claim_oldest, locked_if_ours
from accounts.models import Account, ImportInvitation, ImportJob, InvitationDrive, OneTimeToken, Person
from common import audit
from common.audit import as_actor
from common.contracts.import_invitations import (
    ImportedInvitationStatus,
    InvitationDriveOut,
    InviteImportedIn,
    InviteImportedOut,
)
from common.errors import Conflict, NotFound, ValidationFailed

log = logging.getLogger(__name__)

BATCH = 500
BUDGET_SECONDS = 20.0   # one timer tick's work; the next tick carries on
# the job_id of invitations staff sent for everyone imported, not on behalf of one import
EVERYONE = uuid.UUID(int=0)
ACTIVE = ("queued", "running")


def _invitable(before: datetime | None = None):
    """Imported people an invitation could go to now: never invited, by an import or by staff one
    at a time (a claim link, even a lapsed one). `before`: only people imported by then."""
    statement = (sa.select(Person.id)
                 .where(Person.origin == "import", Person.email.is_not(None), Person.email != "",
                        Person.email_undeliverable == sa.false(),
                        ~sa.exists().where(Account.person_id == Person.id),
                        ~sa.exists().where(ImportInvitation.person_id == Person.id),
                        ~sa.exists().where(OneTimeToken.person_id == Person.id, OneTimeToken.purpose == "claim")))
    return statement if before is None else statement.where(Person.created_at <= before)


def _count(session: Session, statement) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))


def _insert(session: Session, table):
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _claim(session: Session, person_ids: list[uuid.UUID], job_id: uuid.UUID) -> set[uuid.UUID]:
    """Insert an ImportInvitation for each person nobody has one for; returns those inserted."""
    if not person_ids:
        return set()
    table = ImportInvitation.__table__
    statement = (_insert(session, table).on_conflict_do_nothing(index_elements=["person_id"])
                 .returning(table.c.person_id))
    moment = now()
    return set(session.execute(statement, [{"person_id": p, "job_id": job_id, "sent_at": moment}
                                           for p in person_ids]).scalars())


def invite_claimed(session: Session, person_ids: list[uuid.UUID], job_id: uuid.UUID, public_url: str,
                   actor) -> tuple[list[uuid.UUID], list]:
    """Claim each person and invite those claimed here; anyone claimed meanwhile by another
    transaction (a drive, an import, another press) is left to it. Returns (invited, events)."""
    claimed = _claim(session, list(dict.fromkeys(person_ids)), job_id)
    invited: list[uuid.UUID] = []
    events: list = []
    with session.no_autoflush:  # one flush for the batch, not one per person's queries
        for person_id in dict.fromkeys(person_ids):
            if person_id not in claimed:
                continue
            try:
                _, sent = recovery.send_invitation(session, person_id, public_url, actor)
            except (Conflict, ValidationFailed):
                # an account opened or the e-mail removed since we looked: no invitation after all
                session.execute(sa.delete(ImportInvitation).where(ImportInvitation.person_id == person_id))
                continue
            events.extend(sent)
            invited.append(person_id)
    session.flush()
    return invited, events


def _job_id(session: Session, import_id: uuid.UUID | None) -> uuid.UUID:
    if import_id is None:
        return EVERYONE
    job = session.get(ImportJob, import_id)
    if job is None:
        raise NotFound("No such import.")
    if job.kind != "people":
        raise ValidationFailed("Only an import of people brings in anyone to invite.")
    return job.id


class Batch(NamedTuple):
    invited: int     # people invited by this batch
    remaining: int   # people still waiting after it


def invite_batch(session: Session, data: InviteImportedIn, public_url: str, actor, limit: int = BATCH,
                 before: datetime | None = None) -> tuple[Batch, list]:
    """Invite up to `limit` imported people who were never invited (imported by `before`, if
    given). Returns (counts, events); `remaining` counts those still waiting (by `before`)."""
    job_id = _job_id(session, data.import_id)
    chosen = session.scalars(_invitable(before).order_by(Person.created_at, Person.id).limit(limit)
                             .with_for_update(of=Person, skip_locked=True)).all()
    invited, events = invite_claimed(session, list(chosen), job_id, public_url, actor)
    remaining = _count(session, _invitable(before))
    if invited:
        audit.record(session, actor, "import.invitations_sent", "import",
                     None if job_id == EVERYONE else job_id, invited=len(invited), remaining=remaining)
    return Batch(invited=len(invited), remaining=remaining), events


# --- the drive: one press, every batch ------------------------------------------------------------

def _active(session: Session) -> InvitationDrive | None:
    return session.scalar(sa.select(InvitationDrive).where(InvitationDrive.active.is_(True)))


def _latest(session: Session) -> InvitationDrive | None:
    return session.scalar(sa.select(InvitationDrive)
                          .order_by(InvitationDrive.requested_at.desc(), InvitationDrive.id).limit(1))


def _answer(session: Session, drive: InvitationDrive, started_now: bool) -> InviteImportedOut:
    remaining = _count(session, _invitable(drive.requested_at)) if drive.status in ACTIVE else 0
    return InviteImportedOut(id=drive.id, status=drive.status, invited=drive.invited, remaining=remaining,
                             started_now=started_now)


def start_drive(session: Session, data: InviteImportedIn, actor) -> InviteImportedOut:
    """A press of "Send invitations": queue a drive for everyone waiting now, or answer with the
    one already under way. Nobody waiting: no drive (`id` null)."""
    running = _active(session)
    if running is not None:
        return _answer(session, running, started_now=False)
    _job_id(session, data.import_id)
    moment = now()
    waiting = _count(session, _invitable(moment))
    if not waiting:
        return InviteImportedOut(status="done", invited=0, remaining=0)
    table = InvitationDrive.__table__
    # two presses at once: the unique `active` lets one drive in; the other answers with it
    inserted = session.execute(
        _insert(session, table).on_conflict_do_nothing(index_elements=["active"]).returning(table.c.id),
        {"id": uuid.uuid4(), "status": "queued", "active": True, "import_id": data.import_id, "invited": 0,
         "total_at_start": waiting, "requested_at": moment,
         "requested_by": as_actor(actor).model_dump_json()}).scalar()
    if inserted is None:
        other = _active(session) or _latest(session)
        return _answer(session, other, started_now=False)
    audit.record(session, actor, "import.invitation_drive_started", "invitation_drive", inserted,
                 import_id=data.import_id, waiting=waiting)
    return _answer(session, session.get(InvitationDrive, inserted), started_now=True)


def drive_out(drive: InvitationDrive) -> InvitationDriveOut:
    return InvitationDriveOut(id=drive.id, status=drive.status, invited=drive.invited,
                              total_at_start=drive.total_at_start, requested_at=drive.requested_at,
                              started_at=drive.started_at, finished_at=drive.finished_at, error=drive.error)


def status(session: Session) -> ImportedInvitationStatus:
    drive = _active(session) or _latest(session)
    return ImportedInvitationStatus(
        pending=_count(session, _invitable()),
        invited=session.scalar(sa.select(sa.func.count()).select_from(ImportInvitation)),
        drive=drive_out(drive) if drive is not None else None)


def claim_drive(session: Session, token: str) -> InvitationDrive | None:
    """The queued drive, or a running one whose lease lapsed (its runner died); leased to us."""
    return claim_oldest(session, InvitationDrive, ACTIVE, InvitationDrive.requested_at, token)


def _locked(session: Session, drive_id, token: str) -> InvitationDrive | None:
    """The drive, locked for this transaction, if our lease still holds."""
    return locked_if_ours(session, InvitationDrive, drive_id, token)


def _end(drive: InvitationDrive, status: str, error: str | None = None) -> None:
    drive.status, drive.error, drive.finished_at = status, error, now()
    drive.active = drive.lease_token = drive.lease_until = None


def carry_on(session: Session, drive: InvitationDrive, token: str, public_url: str, publish,
             budget_seconds: float = BUDGET_SECONDS, batch_size: int = BATCH) -> str:
    """Send batches for up to `budget_seconds`, committing each with the drive's count, then free
    the lease. Returns the drive's status afterwards ("lost" if its lease went to another runner)."""
    started = time.monotonic()
    drive_id, requested_at = drive.id, drive.requested_at
    actor = as_actor(json.loads(drive.requested_by or "null"))
    data = InviteImportedIn(import_id=drive.import_id)
    while True:
        counts, events = invite_batch(session, data, public_url, actor, limit=batch_size, before=requested_at)
        for event in events:
            publish(event)
        held = _locked(session, drive_id, token)
        if held is None:
            session.rollback()   # our invitations with it: the runner holding the lease sends them
            return "lost"
        held.invited += counts.invited
        finished = not counts.remaining
        # out of time, or everyone left was busy in another transaction: the next tick goes on
        pause = not finished and (not counts.invited or time.monotonic() - started > budget_seconds)
        if finished:
            _end(held, "done")
            audit.record(session, actor, "import.invitation_drive_finished", "invitation_drive", drive_id,
                         invited=held.invited)
        else:
            # pausing frees the lease for the next tick (ours or another instance's)
            held.lease_until = None if pause else now() + LEASE
        session.commit()
        if finished:
            return "done"
        if pause:
            return "running"


def _fail(session: Session, drive_id, token: str, message: str) -> None:
    session.rollback()
    drive = _locked(session, drive_id, token)
    if drive is not None:
        _end(drive, "failed", message[:2000])
    session.commit()


def run_drive(session: Session, public_url: str, publish, budget_seconds: float = BUDGET_SECONDS,
              batch_size: int = BATCH) -> str | None:
    """Claim the drive under way and carry it on; None when there is none."""
    token = uuid.uuid4().hex
    drive = claim_drive(session, token)
    if drive is None:
        return None
    try:
        return carry_on(session, drive, token, public_url, publish, budget_seconds, batch_size)
    except (NotFound, ValidationFailed) as exc:   # its import is gone, or not of people
        _fail(session, drive.id, token, exc.message)
        return "failed"
    except Exception:
        log.exception("invitation drive %s stopped", drive.id)
        _fail(session, drive.id, token, "An unexpected error stopped it. Press “Send invitations” to carry "
                                        "on: nobody is invited twice.")
        return "failed"
